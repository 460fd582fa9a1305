// An exclusive lock file (O_EXCL create) holding the owner's pid, host and a token.
// A lock whose owner process is gone is stale and gets broken; breaking goes through a
// second short-lived lock so two waiters never both delete a lock one of them just took.
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';

interface LockRecord {
  pid: number;
  host: string;
  token: string;
  acquiredAt: string;
}

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once when the lock is busy, with who holds it. */
  onWait?: (holder: string) => void;
  /** A lock from another host can't be checked by pid: treat it as stale after this long. */
  foreignStaleMs?: number;
}

// Between O_EXCL create and the content write a lock is briefly empty; only an empty or
// unreadable lock older than this is considered abandoned.
const UNREADABLE_STALE_MS = 10_000;
const BREAKER_STALE_MS = 10_000;

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readRecord(path: string): Promise<{ raw: string; record: LockRecord | null; ageMs: number } | null> {
  try {
    const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let record: LockRecord | null = null;
    try {
      const parsed = JSON.parse(raw) as Partial<LockRecord>;
      if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') record = parsed as LockRecord;
    } catch {
      record = null;
    }
    return { raw, record, ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function isStale(current: { record: LockRecord | null; ageMs: number }, foreignStaleMs: number): boolean {
  const { record, ageMs } = current;
  if (!record) return ageMs > UNREADABLE_STALE_MS;
  if (record.host === hostname()) return !isPidAlive(record.pid);
  return ageMs > foreignStaleMs;
}

function describe(record: LockRecord | null): string {
  return record ? `pid ${record.pid} on ${record.host} since ${record.acquiredAt}` : 'an unknown process';
}

/** Deletes `path` only if it still holds `observedRaw`, guarded by a breaker lock. */
async function breakStaleLock(path: string, observedRaw: string): Promise<void> {
  const breaker = `${path}.break`;
  const breakerContent = JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() });
  if (!(await tryCreate(breaker, breakerContent))) {
    const info = await stat(breaker).catch(() => null);
    if (info && Date.now() - info.mtimeMs > BREAKER_STALE_MS) await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    const again = await readRecord(path);
    if (again && again.raw === observedRaw) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

function makeLock(path: string, token: string): FileLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      const current = await readRecord(path);
      if (current?.record?.token === token) await unlink(path).catch(() => undefined);
    },
  };
}

/** One attempt: the lock, or null when someone alive holds it. Breaks a stale lock first. */
export async function tryAcquireFileLock(path: string, foreignStaleMs = 2 * 60 * 60 * 1000): Promise<FileLock | null> {
  const token = randomBytes(12).toString('hex');
  const content = JSON.stringify({ pid: process.pid, host: hostname(), token, acquiredAt: new Date().toISOString() } satisfies LockRecord);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await tryCreate(path, content)) return makeLock(path, token);
    const current = await readRecord(path);
    if (current === null) continue;
    if (!isStale(current, foreignStaleMs)) return null;
    await breakStaleLock(path, current.raw);
  }
  return null;
}

/** Waits for the lock up to timeoutMs; null on timeout. Throws the signal's reason on abort. */
export async function acquireFileLock(path: string, options: AcquireLockOptions): Promise<FileLock | null> {
  const pollMs = options.pollMs ?? 200;
  const deadline = Date.now() + options.timeoutMs;
  let announced = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const lock = await tryAcquireFileLock(path, options.foreignStaleMs);
    if (lock) return lock;
    if (!announced && options.onWait) {
      announced = true;
      const holder = await readRecord(path).catch(() => null);
      options.onWait(describe(holder?.record ?? null));
    }
    if (Date.now() >= deadline) return null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(pollMs, Math.max(1, deadline - Date.now())));
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
