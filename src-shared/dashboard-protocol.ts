/**
 * The dashboard's WebSocket messages (src-main/dashboard ↔ src-renderer's dashboard client):
 * the bridge contract as JSON frames. One socket per page, at `dashboardBridgePath`, with the
 * page's token as the `token` query parameter.
 */
import type { BridgeEventName, BridgeFailure } from './bridge.js';

export const dashboardBridgePath = '/bridge';
export const dashboardTokenParam = 'token';

export interface DashboardCallMessage {
  readonly type: 'call';
  readonly id: number;
  readonly name: string;
  readonly args: unknown;
}

export type DashboardServerMessage =
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: BridgeFailure }
  | { readonly type: 'event'; readonly event: BridgeEventName; readonly payload: unknown };

/** Close codes the client acts on: the token was refused (do not retry), or it fell behind (reconnect and resync). */
export const dashboardCloseCodes = { refused: 4401, tooSlow: 4408, shutdown: 1001 } as const;
