// Electron channel names of the bridge, generated from the one map in src-shared: a channel per
// call and per event, so no handler ever sees a name it was not made for.
import type { BridgeCallName, BridgeEventName, BridgeFailure } from '../../../src-shared/bridge.js';

export const bridgeCallChannel = (name: BridgeCallName): string => `tray-agent:call:${name}`;
export const bridgeEventChannel = (event: BridgeEventName): string => `tray-agent:event:${event}`;

/** What a call channel answers: errors travel as data so the page gets the message alone. */
export type BridgeReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: BridgeFailure };
