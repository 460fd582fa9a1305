import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import { cancelledError } from './errors.js';

/**
 * A cross-process lock file (created with O_EXCL). The holder touches it regularly; a lock is
 * abandoned when its holder is a dead process on this host, or when it has not been touched for
 * `staleAfterMs` (holders in other pid namespaces, e.g. containers sharing the cache). A live
 * holder is waited for however long its work takes: env builds legitimately run for minutes.
 */
export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  staleAfterMs: number;
  signal?: AbortSignal;
  pollMs?: number;
  /** Called once when we start waiting for someone else's lock. */
  onWait?: (holder: LockHolder | null) => void;
}

export interface LockHolder {
  pid: number;
  host: string;
  token: string;
  since: string;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(lockPath: string): Promise<LockHolder | null> {
  try {
    const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') {
      return { pid: parsed.pid, host: parsed.host, token: parsed.token, since: String(parsed.since ?? '') };
    }
  } catch {
    // unreadable or half-written: judged by its age below
  }
  return null;
}

async function createLockFile(lockPath: string, staleAfterMs: number): Promise<FileLock | null> {
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), token: randomUUID(), since: new Date().toISOString() };
  let handle;
  try {
    handle = await open(lockPath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(holder));
  } finally {
    await handle.close();
  }
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(lockPath, now, now).catch(() => undefined);
    },
    Math.max(250, Math.min(5000, Math.floor(staleAfterMs / 3))),
  );
  heartbeat.unref();
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      const current = await readHolder(lockPath);
      if (current?.token === holder.token) await unlink(lockPath).catch(() => undefined);
    },
  };
}

/** Removes the lock if it is abandoned; true when it was (or is already gone). */
async function removeIfAbandoned(lockPath: string, staleAfterMs: number): Promise<boolean> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(lockPath)).mtimeMs;
  } catch {
    return true;
  }
  const holder = await readHolder(lockPath);
  const deadHere = holder !== null && holder.host === os.hostname() && !isProcessAlive(holder.pid);
  const silent = Date.now() - mtimeMs > staleAfterMs;
  if (!deadHere && !silent) return false;
  // Re-read right before removing so a lock that changed hands meanwhile is left alone.
  const again = await readHolder(lockPath);
  if (again?.token !== holder?.token) return false;
  await unlink(lockPath).catch(() => undefined);
  return true;
}

/** One attempt, no waiting: the lock, or null when someone alive holds it. */
export async function tryAcquireFileLock(lockPath: string, staleAfterMs: number): Promise<FileLock | null> {
  const lock = await createLockFile(lockPath, staleAfterMs);
  if (lock) return lock;
  if (await removeIfAbandoned(lockPath, staleAfterMs)) return createLockFile(lockPath, staleAfterMs);
  return null;
}

export async function acquireFileLock(lockPath: string, opts: LockOptions): Promise<FileLock> {
  let waitingReported = false;
  for (;;) {
    if (opts.signal?.aborted) throw cancelledError();
    const lock = await tryAcquireFileLock(lockPath, opts.staleAfterMs);
    if (lock) return lock;
    if (!waitingReported) {
      waitingReported = true;
      opts.onWait?.(await readHolder(lockPath));
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, opts.pollMs ?? 200);
      function done(): void {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', done);
        resolve();
      }
      opts.signal?.addEventListener('abort', done, { once: true });
    });
  }
}

export { isProcessAlive };
