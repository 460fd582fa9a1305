import type { BridgeFailure } from '../../src-shared/bridge.js';

/** A bridge call that could not be done; transports send `code` and `message` to the page. */
export class BridgeCallError extends Error implements BridgeFailure {
  override readonly name = 'BridgeCallError';
  constructor(
    readonly code: BridgeFailure['code'],
    message: string,
  ) {
    super(message);
  }
}

/** Any error as the page may see it: our own messages as they are, anything else as "failed". */
export function toBridgeFailure(error: unknown): BridgeFailure {
  if (error instanceof BridgeCallError) return { code: error.code, message: error.message };
  return { code: 'failed', message: error instanceof Error ? error.message : String(error) };
}
