/**
 * The one error the environment phase throws. `reason` is short and stable (the agent puts it
 * into the task's status reason, e.g. `failed installing requirements`); `message` carries the
 * detail a user needs to act on it.
 */
export class EnvironmentError extends Error {
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvironmentError';
    this.reason = reason;
  }
}

export const CANCELLED_REASON = 'cancelled';

export function cancelledError(): EnvironmentError {
  return new EnvironmentError(CANCELLED_REASON, 'environment setup was cancelled');
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}
