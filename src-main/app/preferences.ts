// The tray's preferences (electron-store): choices only, never a secret. Applied by the agent
// host as the top layer of the configuration ("tray preferences" in DESIGN.md).
import type { PreferencesView } from '../../src-shared/bridge.js';

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
  autostart: boolean;
  window: WindowBounds | null;
}

export const defaultPreferences: TrayPreferences = { queues: [], orderFairness: false, gpus: null, skipBusyGpus: null, autostart: false, window: null };

/** JSON schema electron-store validates against: only these keys, so nothing else (a secret) can be written. */
export const preferencesSchema = {
  queues: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 100 },
  orderFairness: { type: 'boolean' },
  gpus: { type: ['string', 'null'], maxLength: 200 },
  skipBusyGpus: { type: ['boolean', 'null'] },
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
  return { queues: pick('queues'), orderFairness: pick('orderFairness'), gpus: pick('gpus'), skipBusyGpus: pick('skipBusyGpus'), autostart: pick('autostart'), window: pick('window') };
}

/** What the window's choices mean to the agent host: daemon choices plus config keys (snake_case, as clearml.conf). */
export function preferencesLayer(prefs: TrayPreferences): { name: string; queues: string[]; orderFairness: boolean; gpus: string | null; tree: Record<string, unknown> } {
  return {
    name: 'tray preferences',
    queues: prefs.queues,
    orderFairness: prefs.orderFairness,
    gpus: prefs.gpus,
    tree: prefs.skipBusyGpus === null ? {} : { agent: { skip_busy_gpus: prefs.skipBusyGpus } },
  };
}

/** Records the choices a snapshot shows as applied. */
export function rememberPreferences(store: PreferenceStore, applied: PreferencesView, which: ReadonlyArray<'queues' | 'gpus' | 'skipBusyGpus'>): void {
  if (which.includes('queues')) {
    store.set('queues', [...applied.queues]);
    store.set('orderFairness', applied.orderFairness);
  }
  if (which.includes('gpus')) store.set('gpus', applied.gpus);
  if (which.includes('skipBusyGpus')) store.set('skipBusyGpus', applied.skipBusyGpus);
}

/** electron-store (ESM, loaded on use so nothing of it runs in `--cli` mode). */
export async function openPreferenceStore(): Promise<PreferenceStore> {
  const { default: Store } = await import('electron-store');
  return new Store<TrayPreferences>({ name: 'preferences', schema: preferencesSchema as never, defaults: defaultPreferences }) as unknown as PreferenceStore;
}
