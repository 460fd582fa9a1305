// The engine's one cross-process lock: a file created with O_EXCL holding its holder's pid, host
// and a token. The holder touches it regularly. A lock is abandoned when its holder is a dead
// process on this host, or when it has not been touched for `staleAfterMs` (holders we cannot
// check by pid: another host, another pid namespace such as a container sharing the cache).
// Removing an abandoned lock goes through a short-lived breaker lock, so two waiters never both
// delete a lock one of them has just taken. Used by the env cache, the vcs cache, the workspace
// and the log spools.
import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isProcessAliveNow } from '../process/index.js';

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  /** When it was taken (ISO). */
  readonly since: string;
}

export interface AcquireLockOptions {
  /** A lock not touched for this long is abandoned (default 2 h: env builds take minutes). */
  readonly staleAfterMs?: number;
  /** Give up after this long (resolves null); default: wait as long as the holder lives. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Called once when we start waiting for someone else's lock. */
  readonly onWait?: (holder: LockHolder | null) => void;
}

const DEFAULT_STALE_MS = 2 * 60 * 60 * 1000;
// Between the O_EXCL create and the write a lock is briefly empty: only an empty or unreadable
// lock older than this counts as abandoned.
const UNREADABLE_STALE_MS = 10_000;
const BREAKER_STALE_MS = 10_000;

/** Who holds the lock (null when the file is missing, empty or not ours to read). */
export async function readLockHolder(path: string): Promise<LockHolder | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder> & { acquiredAt?: string };
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') {
      return { pid: parsed.pid, host: parsed.host, token: parsed.token, since: String(parsed.since ?? parsed.acquiredAt ?? '') };
    }
  } catch {
    // unreadable or half-written: judged by its age
  }
  return null;
}

export function describeLockHolder(holder: LockHolder | null): string {
  return holder ? `pid ${holder.pid} on ${holder.host}${holder.since ? ` since ${holder.since}` : ''}` : 'an unknown process';
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

async function takeLock(path: string, staleAfterMs: number): Promise<FileLock | null> {
  const holder: LockHolder = { pid: process.pid, host: hostname(), token: randomUUID(), since: new Date().toISOString() };
  if (!(await createExclusive(path, JSON.stringify(holder)))) return null;
  // Touched while held, so a holder we cannot check by pid is still seen as alive.
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    },
    Math.max(250, Math.min(5_000, Math.floor(staleAfterMs / 3))),
  );
  heartbeat.unref();
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      if ((await readLockHolder(path))?.token === holder.token) await unlink(path).catch(() => undefined);
    },
  };
}

async function isAbandoned(path: string, staleAfterMs: number): Promise<{ abandoned: boolean; raw: string | null }> {
  let mtimeMs: number;
  let raw: string | null;
  try {
    [raw, mtimeMs] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mtimeMs)]);
  } catch {
    return { abandoned: true, raw: null };
  }
  const holder = await readLockHolder(path);
  const age = Date.now() - mtimeMs;
  if (!holder) return { abandoned: age > Math.min(UNREADABLE_STALE_MS, staleAfterMs), raw };
  if (holder.host === hostname() && !isProcessAliveNow(holder.pid)) return { abandoned: true, raw };
  return { abandoned: age > staleAfterMs, raw };
}

/** Deletes `path` only if it still holds `observed`, guarded by a breaker lock. */
async function breakLock(path: string, observed: string | null): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await createExclusive(breaker, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() })))) {
    const info = await stat(breaker).catch(() => null);
    if (info && Date.now() - info.mtimeMs > BREAKER_STALE_MS) await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    const again = await readFile(path, 'utf8').catch(() => null);
    if (observed === null || again === observed) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

/** One attempt, no waiting: the lock, or null when a live holder has it. Breaks an abandoned lock first. */
export async function tryAcquireFileLock(path: string, staleAfterMs = DEFAULT_STALE_MS): Promise<FileLock | null> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const lock = await takeLock(path, staleAfterMs);
    if (lock) return lock;
    const { abandoned, raw } = await isAbandoned(path, staleAfterMs);
    if (!abandoned) return null;
    await breakLock(path, raw);
  }
  return null;
}

/**
 * Waits for the lock: as long as a live holder keeps it, or up to `timeoutMs` (then null).
 * Throws the signal's reason when `signal` aborts.
 */
export async function acquireFileLock(path: string, options: AcquireLockOptions = {}): Promise<FileLock | null> {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_MS;
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  let announced = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const lock = await tryAcquireFileLock(path, staleAfterMs);
    if (lock) return lock;
    if (!announced) {
      announced = true;
      options.onWait?.(await readLockHolder(path));
    }
    if (Date.now() >= deadline) return null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(options.pollMs ?? 200, Math.max(1, deadline - Date.now())));
      function done(): void {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
