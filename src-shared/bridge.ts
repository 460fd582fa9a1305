/**
 * The bridge contract: every call the UI can make and every event it can receive, typed once.
 * Electron wires it through the preload (contextBridge + ipcMain); the dashboard wires the same
 * map over a loopback WebSocket. The renderer cannot tell which one it has. The payload schemas
 * that both transports check live in bridge-schemas.ts (main side only, to keep zod out of the
 * renderer bundle).
 */
import type {
  AgentSnapshot,
  LogLineView,
  ParsedCredentials,
  PhaseState,
  SetupRequest,
  SetupResult,
  SetupState,
  TaskLogPage,
  VerifyResult,
} from './views.js';

export type * from './views.js';

type NoArgs = Record<string, never>;

export interface BridgeCalls {
  getSnapshot: { args: NoArgs; result: AgentSnapshot };
  /** Force off (runtime property force:off on the server); `until` epoch ms, null = indefinitely. */
  pause: { args: { until: number | null }; result: AgentSnapshot };
  /** `force: true` sets force:on (pull even outside the uptime window); false clears the force. */
  resume: { args: { force: boolean }; result: AgentSnapshot };
  /** Finish the running tasks, pull nothing new; `cancel: true` takes the drain back. */
  drain: { args: { cancel: boolean }; result: AgentSnapshot };
  /** Stop one running task (ends as stopped, "aborted from Tray Agent"). */
  stopTask: { args: { taskId: string }; result: AgentSnapshot };
  /** Queues by name or id, highest priority first. */
  setQueues: { args: { queues: string[]; orderFairness: boolean }; result: AgentSnapshot };
  /** `--gpus` syntax ("0,1", "0-3", "all"), or null for the configured default. */
  setGpus: { args: { gpus: string | null }; result: AgentSnapshot };
  setSkipBusyGpus: { args: { enabled: boolean }; result: AgentSnapshot };
  /** clearml's schedule syntax ("17-20 SUN-TUE"); a bad entry rejects, naming it. */
  setSchedule: { args: { uptime: string[] | null; downtime: string[] | null }; result: AgentSnapshot };
  reloadConfig: { args: NoArgs; result: AgentSnapshot };
  setAutostart: { args: { enabled: boolean }; result: AgentSnapshot };
  /** Lines of a task's log: from `fromSeq` on (follow), or the `limit` lines before `beforeSeq`. */
  getTaskLog: { args: { taskId: string; fromSeq?: number; beforeSeq?: number; limit?: number }; result: TaskLogPage };
  setupGetState: { args: NoArgs; result: SetupState };
  setupParseCredentials: { args: { text: string }; result: ParsedCredentials };
  /** Logs in with the pasted block (remote) or the embedded server's own credentials. */
  setupVerify: { args: { mode: 'embedded' | 'remote'; credentialsText?: string }; result: VerifyResult };
  setupSave: { args: SetupRequest; result: SetupResult };
}

export interface BridgeEvents {
  snapshot: AgentSnapshot;
  /** New lines of a running task (batched, already redacted). */
  taskLog: { taskId: string; lines: LogLineView[] };
  phase: { taskId: string; phase: string; state: PhaseState; at: number; durationMs: number | null };
}

export type BridgeCallName = keyof BridgeCalls;
export type BridgeEventName = keyof BridgeEvents;
export type BridgeArgs<N extends BridgeCallName> = BridgeCalls[N]['args'];
export type BridgeResult<N extends BridgeCallName> = BridgeCalls[N]['result'];

/** Runtime list of call names, so transports can reject anything else before dispatch. */
export const bridgeCallNames = [
  'getSnapshot',
  'pause',
  'resume',
  'drain',
  'stopTask',
  'setQueues',
  'setGpus',
  'setSkipBusyGpus',
  'setSchedule',
  'reloadConfig',
  'setAutostart',
  'getTaskLog',
  'setupGetState',
  'setupParseCredentials',
  'setupVerify',
  'setupSave',
] as const satisfies readonly BridgeCallName[];
export const bridgeEventNames = ['snapshot', 'taskLog', 'phase'] as const satisfies readonly BridgeEventName[];

// Both lists must name every key: a missing one is a type error here.
type MissingCall = Exclude<BridgeCallName, (typeof bridgeCallNames)[number]>;
type MissingEvent = Exclude<BridgeEventName, (typeof bridgeEventNames)[number]>;
const everyNameListed: [MissingCall, MissingEvent] extends [never, never] ? true : false = true;
void everyNameListed;

export function isBridgeCallName(value: unknown): value is BridgeCallName {
  return typeof value === 'string' && (bridgeCallNames as readonly string[]).includes(value);
}
export function isBridgeEventName(value: unknown): value is BridgeEventName {
  return typeof value === 'string' && (bridgeEventNames as readonly string[]).includes(value);
}

/** How a failed call reaches the page: the message says what failed and what to do. */
export interface BridgeFailure {
  readonly code: 'invalid-args' | 'unknown-call' | 'refused' | 'failed';
  readonly message: string;
}

/** What the renderer sees, whichever transport carries it. Calls reject with an Error whose message is BridgeFailure.message. */
export interface Bridge {
  call<N extends BridgeCallName>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>>;
  on<E extends BridgeEventName>(event: E, listener: (payload: BridgeEvents[E]) => void): () => void;
}

/**
 * The main-process side of the bridge, as both transports see it: the agent host
 * (src-main/control) implements it; the Electron IPC wiring and the dashboard WebSocket only
 * check the sender and the payload (bridge-schemas.ts), then call `handle` and forward events.
 */
export interface BridgeHandler {
  handle<N extends BridgeCallName>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>>;
  /** Every event, in order; returns the unsubscribe. */
  subscribe(listener: <E extends BridgeEventName>(event: E, payload: BridgeEvents[E]) => void): () => void;
}
