/**
 * The one check both transports (Electron IPC, dashboard WebSocket) run on every call before it
 * reaches the agent host: a known name and arguments that match bridge-schemas.ts. Main side
 * only (zod stays out of the renderer bundle).
 */
import { isBridgeCallName, type BridgeArgs, type BridgeCallName, type BridgeFailure } from './bridge.js';
import { bridgeArgSchemas } from './bridge-schemas.js';

export type CheckedBridgeCall =
  | { readonly ok: true; readonly name: BridgeCallName; readonly args: BridgeArgs<BridgeCallName> }
  | { readonly ok: false; readonly failure: BridgeFailure };

export function checkBridgeCall(name: unknown, args: unknown): CheckedBridgeCall {
  if (!isBridgeCallName(name)) {
    return { ok: false, failure: { code: 'unknown-call', message: `unknown bridge call ${JSON.stringify(String(name)).slice(0, 80)}` } };
  }
  const parsed = bridgeArgSchemas[name].safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'arguments';
    return { ok: false, failure: { code: 'invalid-args', message: `${name}: ${where}: ${issue?.message ?? 'invalid'}` } };
  }
  return { ok: true, name, args: parsed.data as BridgeArgs<BridgeCallName> };
}

/** How a handler's exception reaches the page: its message (which says what to do), nothing else. */
export function bridgeFailureFrom(error: unknown): BridgeFailure {
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'failed', message: message || 'the call failed' };
}
