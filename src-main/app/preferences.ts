// The tray's preferences (electron-store): choices only, never a secret. Applied by the agent
// host as the top layer of the configuration ("tray preferences" in DESIGN.md).

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

export interface TrayPreferences {
  queues: string[];
  orderFairness: boolean;
  gpus: string | null;
  skipBusyGpus: boolean | null;
  uptime: string[] | null;
  downtime: string[] | null;
  autostart: boolean;
  window: WindowBounds | null;
}

export const defaultPreferences: TrayPreferences = { queues: [], orderFairness: false, gpus: null, skipBusyGpus: null, uptime: null, downtime: null, autostart: false, window: null };

const scheduleEntries = { type: ['array', 'null'], items: { type: 'string', maxLength: 200 }, maxItems: 50 } as const;

/** JSON schema electron-store validates against: only these keys, so nothing else (a secret) can be written. */
export const preferencesSchema = {
  queues: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 100 },
  orderFairness: { type: 'boolean' },
  gpus: { type: ['string', 'null'], maxLength: 200 },
  skipBusyGpus: { type: ['boolean', 'null'] },
  uptime: scheduleEntries,
  downtime: scheduleEntries,
  autostart: { type: 'boolean' },
  window: {
    type: ['object', 'null'],
    properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } },
    additionalProperties: false,
  },
} as const;

/** The part of electron-store we use (tests hand in a Map-backed stand-in). */
export interface PreferenceStore {
  get<K extends keyof TrayPreferences>(key: K): TrayPreferences[K] | undefined;
  set<K extends keyof TrayPreferences>(key: K, value: TrayPreferences[K]): void;
}

export function readPreferences(store: PreferenceStore): TrayPreferences {
  const pick = <K extends keyof TrayPreferences>(key: K): TrayPreferences[K] => store.get(key) ?? defaultPreferences[key];
  return {
    queues: pick('queues'),
    orderFairness: pick('orderFairness'),
    gpus: pick('gpus'),
    skipBusyGpus: pick('skipBusyGpus'),
    uptime: pick('uptime'),
    downtime: pick('downtime'),
    autostart: pick('autostart'),
    window: pick('window'),
  };
}

type HostPreferences = { queues?: readonly string[]; orderFairness?: boolean; gpus?: string | null; skipBusyGpus?: boolean; uptime?: readonly string[] | null; downtime?: readonly string[] | null; autostart?: boolean };

/**
 * The store as the agent host reads and writes it (its `preferences` option): the choices made in
 * the window become the last configuration layer of every daemon it starts. Unset choices stay
 * out, so clearml.conf and the flags decide them.
 */
export function agentHostPreferences(store: PreferenceStore): { get(): HostPreferences; set(patch: Partial<HostPreferences>): void } {
  return {
    get() {
      const p = readPreferences(store);
      return {
        ...(p.queues.length ? { queues: p.queues } : {}),
        orderFairness: p.orderFairness,
        gpus: p.gpus,
        ...(p.skipBusyGpus === null ? {} : { skipBusyGpus: p.skipBusyGpus }),
        uptime: p.uptime,
        downtime: p.downtime,
        autostart: p.autostart,
      };
    },
    set(patch) {
      if (patch.queues !== undefined) store.set('queues', [...patch.queues]);
      if (patch.orderFairness !== undefined) store.set('orderFairness', patch.orderFairness);
      if (patch.gpus !== undefined) store.set('gpus', patch.gpus);
      if (patch.skipBusyGpus !== undefined) store.set('skipBusyGpus', patch.skipBusyGpus);
      if (patch.uptime !== undefined) store.set('uptime', patch.uptime ? [...patch.uptime] : null);
      if (patch.downtime !== undefined) store.set('downtime', patch.downtime ? [...patch.downtime] : null);
      if (patch.autostart !== undefined) store.set('autostart', patch.autostart);
    },
  };
}

/** electron-store (ESM, loaded on use so nothing of it runs in `--cli` mode). */
export async function openPreferenceStore(): Promise<PreferenceStore> {
  const { default: Store } = await import('electron-store');
  return new Store<TrayPreferences>({ name: 'preferences', schema: preferencesSchema as never, defaults: defaultPreferences }) as unknown as PreferenceStore;
}
