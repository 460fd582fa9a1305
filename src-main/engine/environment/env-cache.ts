import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { isCacheKey } from './cache-key.js';
import { acquireFileLock, isProcessAlive, tryAcquireFileLock } from './file-lock.js';
import type { EnvironmentCacheOptions } from './types.js';

/*
 * Layout of the cache directory:
 *
 *   <dir>/<key>.lock           per-key lock (file-lock.ts), outside the entry so removing an
 *                              entry never races its own lock
 *   <dir>/<key>/env/           the environment itself, built in place (venvs are not relocatable)
 *   <dir>/<key>/complete       written last (temp file + fsync + rename): an entry without it is
 *                              an interrupted build and is never used
 *   <dir>/<key>/last-used      epoch ms of the last lookup or release (LRU order)
 *   <dir>/<key>/users/<id>     one file per running task using the entry; such entries are
 *                              never evicted
 *   <dir>/.trash/              entries are renamed here before deletion, so an entry disappears
 *                              atomically even when deleting it takes a while
 */

const MARKER = 'complete';
const LAST_USED = 'last-used';
const USERS = 'users';
const CONTENT = 'env';
const TRASH = '.trash';
/** User files from another host (pid not checkable) are trusted for this long. */
const FOREIGN_USER_TTL_MS = 7 * 24 * 3600 * 1000;

export interface EnvCacheContext extends EnvironmentCacheOptions {
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface EntryMarker<M> {
  key: string;
  createdAt: string;
  meta: M;
}

export interface CacheLease<M> {
  key: string;
  entryDir: string;
  /** Where the environment lives: `<dir>/<key>/env`. */
  contentDir: string;
  hit: boolean;
  meta: M;
  release(): Promise<void>;
}

export type CacheOutcome<M> = { kind: 'lease'; lease: CacheLease<M> } | { kind: 'not-cached'; reason: string };

export interface EntryHooks<M> {
  /** Whether a complete entry still works (e.g. its interpreter runs). */
  isUsable(contentDir: string, meta: M): Promise<boolean>;
  /** Builds the environment into `contentDir` (which does not exist yet); returns what to remember. */
  build(contentDir: string): Promise<M>;
}

export function entryPaths(dir: string, key: string) {
  const entryDir = path.join(dir, key);
  return {
    entryDir,
    contentDir: path.join(entryDir, CONTENT),
    marker: path.join(entryDir, MARKER),
    lastUsed: path.join(entryDir, LAST_USED),
    users: path.join(entryDir, USERS),
    lock: path.join(dir, `${key}.lock`),
  };
}

async function readMarker<M>(markerPath: string): Promise<EntryMarker<M> | null> {
  try {
    return JSON.parse(await readFile(markerPath, 'utf8')) as EntryMarker<M>;
  } catch {
    return null;
  }
}

async function writeFileDurably(file: string, content: string): Promise<void> {
  // 0600: frozen lists may hold URLs with credentials the task's requirements contained.
  await writeFileAtomic(file, content, { mode: 0o600 });
}

async function touchLastUsed(file: string): Promise<void> {
  await writeFile(file, String(Date.now()));
}

async function lastUsedAt(dir: string, key: string): Promise<number> {
  const paths = entryPaths(dir, key);
  try {
    const value = Number((await readFile(paths.lastUsed, 'utf8')).trim());
    if (Number.isFinite(value) && value > 0) return value;
  } catch {
    // fall back to the folder's own time
  }
  try {
    return (await stat(paths.entryDir)).mtimeMs;
  } catch {
    return 0;
  }
}

async function registerUser(usersDir: string): Promise<string> {
  await mkdir(usersDir, { recursive: true });
  const file = path.join(usersDir, `${process.pid}-${randomUUID()}`);
  await writeFile(file, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
  return file;
}

/** Live users of an entry; files of dead local processes are removed on the way. */
export async function liveUsers(usersDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(usersDir);
  } catch {
    return 0;
  }
  let live = 0;
  for (const name of names) {
    const file = path.join(usersDir, name);
    try {
      const user = JSON.parse(await readFile(file, 'utf8')) as { pid?: number; host?: string };
      const alive =
        user.host === os.hostname()
          ? typeof user.pid === 'number' && isProcessAlive(user.pid)
          : Date.now() - (await stat(file)).mtimeMs < FOREIGN_USER_TTL_MS;
      if (alive) live += 1;
      else await unlink(file).catch(() => undefined);
    } catch {
      await unlink(file).catch(() => undefined);
    }
  }
  return live;
}

/** Moves an entry out of the way at once, then deletes it. */
async function discardEntry(dir: string, key: string): Promise<void> {
  const trash = path.join(dir, TRASH);
  await mkdir(trash, { recursive: true });
  const target = path.join(trash, `${key}-${randomUUID()}`);
  try {
    await rename(path.join(dir, key), target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await rm(target, { recursive: true, force: true });
}

async function emptyTrash(dir: string): Promise<void> {
  const trash = path.join(dir, TRASH);
  let names: string[];
  try {
    names = await readdir(trash);
  } catch {
    return;
  }
  await Promise.all(names.map((name) => rm(path.join(trash, name), { recursive: true, force: true }).catch(() => undefined)));
}

export async function freeSpaceGb(dir: string): Promise<number> {
  const info = await statfs(dir);
  return (Number(info.bavail) * Number(info.bsize)) / 1024 ** 3;
}

/** Every entry folder in the cache, oldest use first. */
export async function listEntriesByAge(dir: string): Promise<{ key: string; lastUsed: number }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const entries: { key: string; lastUsed: number }[] = [];
  for (const name of names.filter(isCacheKey)) {
    const info = await stat(path.join(dir, name)).catch(() => null);
    if (info?.isDirectory()) entries.push({ key: name, lastUsed: await lastUsedAt(dir, name) });
  }
  return entries.sort((a, b) => a.lastUsed - b.lastUsed);
}

/** Evicts one entry if nobody is building, checking or using it. */
async function tryEvict(ctx: EnvCacheContext, key: string): Promise<boolean> {
  const paths = entryPaths(ctx.dir, key);
  const lock = await tryAcquireFileLock(paths.lock, ctx.lockTimeoutSec * 1000);
  if (!lock) return false;
  try {
    if ((await liveUsers(paths.users)) > 0) return false;
    await discardEntry(ctx.dir, key);
    return true;
  } finally {
    await lock.release();
  }
}

/**
 * Makes room for one more entry: oldest entries go one at a time, first down to
 * `maxEntries - 1`, then while free disk space is below the threshold. Entries in use are
 * skipped. Returns null when there is room, or why the new entry should not be cached.
 */
async function makeRoom(ctx: EnvCacheContext, newKey: string): Promise<string | null> {
  await emptyTrash(ctx.dir);
  const candidates = (await listEntriesByAge(ctx.dir)).filter((e) => e.key !== newKey);
  let count = candidates.length;
  const queue = [...candidates];

  while (count >= ctx.maxEntries && queue.length > 0) {
    const oldest = queue.shift();
    if (oldest && (await tryEvict(ctx, oldest.key))) {
      count -= 1;
      ctx.log(`Environment cache: evicted ${oldest.key} (least recently used; max_entries is ${ctx.maxEntries})`);
    }
  }
  if (count >= ctx.maxEntries) {
    ctx.log(`Environment cache: ${count} entries are in use, the cache briefly holds more than max_entries (${ctx.maxEntries})`);
  }

  if (ctx.freeSpaceThresholdGb > 0) {
    let free = await freeSpaceGb(ctx.dir);
    while (free < ctx.freeSpaceThresholdGb && queue.length > 0) {
      const oldest = queue.shift();
      if (oldest && (await tryEvict(ctx, oldest.key))) {
        ctx.log(`Environment cache: evicted ${oldest.key} (free space ${free.toFixed(2)} GB is below ${ctx.freeSpaceThresholdGb} GB)`);
        free = await freeSpaceGb(ctx.dir);
      }
    }
    if (free < ctx.freeSpaceThresholdGb) {
      return `free space ${free.toFixed(2)} GB in ${ctx.dir} is below free_space_threshold_gb (${ctx.freeSpaceThresholdGb}) and nothing more can be evicted`;
    }
  }
  return null;
}

function makeLease<M>(ctx: EnvCacheContext, key: string, hit: boolean, meta: M, userFile: string): CacheLease<M> {
  const paths = entryPaths(ctx.dir, key);
  let released = false;
  return {
    key,
    entryDir: paths.entryDir,
    contentDir: paths.contentDir,
    hit,
    meta,
    async release() {
      if (released) return;
      released = true;
      await unlink(userFile).catch(() => undefined);
      await touchLastUsed(paths.lastUsed).catch(() => undefined);
    },
  };
}

/**
 * Looks up `key`, building the entry in place on a miss. The per-key lock is held from lookup
 * to the end of the build, so tasks wanting the same environment wait for one build and then
 * hit. A broken entry (no marker, or failing `isUsable`) is discarded and rebuilt.
 */
export async function useCacheEntry<M>(ctx: EnvCacheContext, key: string, hooks: EntryHooks<M>): Promise<CacheOutcome<M>> {
  if (ctx.maxEntries < 1) return { kind: 'not-cached', reason: `max_entries is ${ctx.maxEntries}` };
  await mkdir(ctx.dir, { recursive: true });
  const paths = entryPaths(ctx.dir, key);
  const lock = await acquireFileLock(paths.lock, {
    staleAfterMs: ctx.lockTimeoutSec * 1000,
    signal: ctx.signal,
    onWait: (holder) =>
      ctx.log(
        `Environment cache: waiting for ${key.slice(0, 12)}, in use by ${holder ? `pid ${holder.pid} on ${holder.host}` : 'another process'} (probably building the same environment)`,
      ),
  });
  try {
    const marker = await readMarker<M>(paths.marker);
    if (marker && marker.key === key && (await hooks.isUsable(paths.contentDir, marker.meta))) {
      await touchLastUsed(paths.lastUsed);
      const userFile = await registerUser(paths.users);
      return { kind: 'lease', lease: makeLease(ctx, key, true, marker.meta, userFile) };
    }
    const exists = await stat(paths.entryDir).then(
      () => true,
      () => false,
    );
    if (exists) {
      ctx.log(
        `Environment cache: discarding broken entry ${key} (${marker ? 'its interpreter no longer runs' : 'an earlier build did not finish'}); rebuilding`,
      );
      await discardEntry(ctx.dir, key);
    }

    const noRoom = await makeRoom(ctx, key);
    if (noRoom) return { kind: 'not-cached', reason: noRoom };

    await mkdir(paths.entryDir, { recursive: true });
    let meta: M;
    try {
      meta = await hooks.build(paths.contentDir);
    } catch (error) {
      await discardEntry(ctx.dir, key).catch(() => undefined);
      throw error;
    }
    const record: EntryMarker<M> = { key, createdAt: new Date().toISOString(), meta };
    await writeFileDurably(paths.marker, JSON.stringify(record, null, 2));
    await touchLastUsed(paths.lastUsed);
    const userFile = await registerUser(paths.users);
    return { kind: 'lease', lease: makeLease(ctx, key, false, meta, userFile) };
  } finally {
    await lock.release();
  }
}
