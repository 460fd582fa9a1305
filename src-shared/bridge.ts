/**
 * The bridge contract: every call the UI can make and every event it can receive, typed once.
 * Electron wires it through the preload (contextBridge + ipcMain); the dashboard wires the same
 * map over a loopback WebSocket. The renderer cannot tell which one it has.
 */

export type AgentState = 'idle' | 'running' | 'paused' | 'error';

export interface AgentSnapshot {
  readonly state: AgentState;
  readonly stateReason: string;
  readonly serverUrl: string;
  readonly workerId: string | null;
  readonly runningTaskIds: readonly string[];
}

export interface BridgeCalls {
  getSnapshot: { args: Record<string, never>; result: AgentSnapshot };
  pause: { args: Record<string, never>; result: AgentSnapshot };
  resume: { args: Record<string, never>; result: AgentSnapshot };
}

export interface BridgeEvents {
  snapshot: AgentSnapshot;
}

export type BridgeCallName = keyof BridgeCalls;
export type BridgeEventName = keyof BridgeEvents;

/** Runtime list of call names, so transports can reject anything else before dispatch. */
export const bridgeCallNames: readonly BridgeCallName[] = ['getSnapshot', 'pause', 'resume'];
export const bridgeEventNames: readonly BridgeEventName[] = ['snapshot'];

export function isBridgeCallName(value: unknown): value is BridgeCallName {
  return typeof value === 'string' && (bridgeCallNames as readonly string[]).includes(value);
}

/** What the renderer sees, whichever transport carries it. */
export interface Bridge {
  call<N extends BridgeCallName>(name: N, args: BridgeCalls[N]['args']): Promise<BridgeCalls[N]['result']>;
  on<E extends BridgeEventName>(event: E, listener: (payload: BridgeEvents[E]) => void): () => void;
}
