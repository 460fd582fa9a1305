// The workspace's and vcs cache's view of the engine's one lock (engine/locks): bounded waits
// (null on timeout) and the holder described in words for the log.
import { acquireFileLock as acquireLock, describeLockHolder, tryAcquireFileLock as tryAcquireLock, type FileLock } from '../locks/file-lock.js';

export type { FileLock };

export interface AcquireLockOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once when the lock is busy, with who holds it. */
  onWait?: (holder: string) => void;
  /** A lock from another host can't be checked by pid: treat it as stale after this long. */
  foreignStaleMs?: number;
}

export function tryAcquireFileLock(path: string, foreignStaleMs = 2 * 60 * 60 * 1000): Promise<FileLock | null> {
  return tryAcquireLock(path, foreignStaleMs);
}

/** Waits for the lock up to timeoutMs; null on timeout. Throws the signal's reason on abort. */
export function acquireFileLock(path: string, options: AcquireLockOptions): Promise<FileLock | null> {
  return acquireLock(path, {
    timeoutMs: options.timeoutMs,
    pollMs: options.pollMs,
    signal: options.signal,
    staleAfterMs: options.foreignStaleMs,
    onWait: options.onWait ? (holder) => options.onWait!(describeLockHolder(holder)) : undefined,
  });
}
