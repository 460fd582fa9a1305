// The env cache's view of the engine's one lock (engine/locks): waits as long as a live holder
// builds (env builds take minutes), and a cancel surfaces as the environment's own error.
import { acquireFileLock as acquireLock, tryAcquireFileLock as tryAcquireLock, type FileLock, type LockHolder } from '../locks/file-lock.js';
import { isProcessAliveNow } from '../process/index.js';
import { cancelledError } from './errors.js';

export type { FileLock, LockHolder };

export interface LockOptions {
  staleAfterMs: number;
  signal?: AbortSignal;
  pollMs?: number;
  /** Called once when we start waiting for someone else's lock. */
  onWait?: (holder: LockHolder | null) => void;
}

export function tryAcquireFileLock(lockPath: string, staleAfterMs: number): Promise<FileLock | null> {
  return tryAcquireLock(lockPath, staleAfterMs);
}

export async function acquireFileLock(lockPath: string, opts: LockOptions): Promise<FileLock> {
  try {
    return (await acquireLock(lockPath, { staleAfterMs: opts.staleAfterMs, signal: opts.signal, pollMs: opts.pollMs, onWait: opts.onWait }))!;
  } catch (error) {
    if (opts.signal?.aborted) throw cancelledError();
    throw error;
  }
}

/** The engine's one liveness check (a process on this host). */
export const isProcessAlive = isProcessAliveNow;
