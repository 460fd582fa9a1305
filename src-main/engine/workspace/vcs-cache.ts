// The vcs cache: one bare mirror per repository URL, shared by tasks, guarded by a lock
// file and evicted oldest-used first.
//
//   <vcsCacheDir>/<repo-name>.<key>/mirror.git   bare clone: refs/heads/* and refs/tags/*
//   <vcsCacheDir>/<repo-name>.<key>/last-used    rewritten on every use (its mtime orders eviction)
//   <vcsCacheDir>/<repo-name>.<key>.lock         held while a task fetches or clones from it
//
// <key> hashes the normalized URL without credentials, so tokens never name a folder.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tryAcquireFileLock } from './file-lock.js';
import { GitCommandError, isAuthFailure, type GitRunner } from './git-command.js';
import { repoCacheKey, repoNameFromUrl } from './repo-url.js';
import { mirrorHasRevision, type RevisionSpec } from './revision.js';

export interface CacheEntryPaths {
  entryDir: string;
  mirrorDir: string;
  lockPath: string;
  lastUsedPath: string;
}

const MIRROR_REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];

export function cacheEntryPaths(cacheDir: string, fetchUrl: string): CacheEntryPaths {
  const name = `${repoNameFromUrl(fetchUrl)}.${repoCacheKey(fetchUrl)}`;
  const entryDir = join(cacheDir, name);
  return { entryDir, mirrorDir: join(entryDir, 'mirror.git'), lockPath: `${entryDir}.lock`, lastUsedPath: join(entryDir, 'last-used') };
}

export type MirrorOutcome = 'hit' | 'fetched' | 'cloned' | 'recloned';

/**
 * (Re-)creates the entry's mirror from the origin. A failed clone leaves an existing mirror as
 * it was: the failure may be this task's (a wrong password in its URL, a typo), and the entry
 * is shared by every task of that repository.
 */
export async function cloneMirror(git: GitRunner, fetchUrl: string, paths: CacheEntryPaths): Promise<void> {
  const hadMirror = existsSync(paths.mirrorDir);
  await mkdir(paths.entryDir, { recursive: true });
  // Clone beside the final place and rename, so a killed clone never leaves a half mirror.
  const staging = join(paths.entryDir, `mirror.partial-${randomBytes(4).toString('hex')}`);
  try {
    await git.run(['clone', '--bare', '--quiet', '--', fetchUrl, staging]);
    await git.run(['config', '--replace-all', 'remote.origin.fetch', MIRROR_REFSPECS[0]!], { cwd: staging, quiet: true });
    await git.run(['config', '--add', 'remote.origin.fetch', MIRROR_REFSPECS[1]!], { cwd: staging, quiet: true });
    await rm(paths.mirrorDir, { recursive: true, force: true });
    await rename(staging, paths.mirrorDir);
  } catch (error) {
    // Leave no empty entry behind for a repository that could not be cloned.
    if (!hadMirror) await rm(paths.entryDir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

// git's automatic gc/maintenance after a fetch detaches by default and would keep rewriting
// the mirror after the lock is released, under a task cloning from it: keep it in the lock.
const FOREGROUND_GC = ['-c', 'gc.autoDetach=false', '-c', 'maintenance.autoDetach=false'];

async function fetchMirror(git: GitRunner, fetchUrl: string, mirrorDir: string): Promise<void> {
  await git.run([...FOREGROUND_GC, 'fetch', '--prune', '--quiet', '--', fetchUrl, ...MIRROR_REFSPECS], { cwd: mirrorDir });
}

/** Points the mirror's HEAD at the remote's current default branch (a fetch doesn't). */
async function refreshDefaultBranch(git: GitRunner, fetchUrl: string, mirrorDir: string): Promise<void> {
  const out = await git.probe(['ls-remote', '--symref', '--', fetchUrl, 'HEAD'], { cwd: mirrorDir });
  const match = out ? /^ref:\s+(refs\/heads\/\S+)\s+HEAD$/m.exec(out.stdout) : null;
  if (match) await git.probe(['symbolic-ref', 'HEAD', match[1]!], { cwd: mirrorDir });
}

/** For commits no branch or tag reaches (e.g. a deleted branch): ask for the object itself and pin it. */
async function fetchPinnedCommit(git: GitRunner, fetchUrl: string, repoDir: string, commit: string): Promise<void> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) return;
  const fetched = await git.probe([...FOREGROUND_GC, 'fetch', '--quiet', '--', fetchUrl, commit], { cwd: repoDir });
  if (fetched) await git.probe(['update-ref', `refs/tray-agent/pinned/${commit}`, commit], { cwd: repoDir });
}

/**
 * Brings the mirror up to what the task needs; the caller holds the entry's lock.
 * A failed fetch re-clones the entry (clone_on_pull_fail), so a damaged mirror heals itself.
 */
export async function syncMirror(opts: {
  git: GitRunner;
  fetchUrl: string;
  paths: CacheEntryPaths;
  spec: RevisionSpec;
  log: (line: string) => void;
}): Promise<MirrorOutcome> {
  const { git, fetchUrl, paths, spec, log } = opts;
  let outcome: MirrorOutcome;
  const usable = existsSync(join(paths.mirrorDir, 'HEAD')) && (await git.probe(['rev-parse', '--is-bare-repository'], { cwd: paths.mirrorDir })) !== null;
  if (!usable) {
    log(`vcs cache: cloning ${fetchUrl} into ${paths.mirrorDir}`);
    await cloneMirror(git, fetchUrl, paths);
    outcome = 'cloned';
  } else if (await mirrorHasRevision(git, paths.mirrorDir, spec)) {
    outcome = 'hit';
  } else {
    try {
      await fetchMirror(git, fetchUrl, paths.mirrorDir);
      outcome = 'fetched';
    } catch (error) {
      // The server refused this task's credentials: the mirror is fine, a new clone would be refused too.
      if (error instanceof GitCommandError && isAuthFailure(error.stderr)) throw error;
      log(`vcs cache: fetch failed (${(error as Error).message}); re-cloning the cache entry`);
      await cloneMirror(git, fetchUrl, paths);
      outcome = 'recloned';
    }
    if (spec.kind === 'default' && outcome === 'fetched') await refreshDefaultBranch(git, fetchUrl, paths.mirrorDir);
  }
  if (spec.kind === 'commit' && !(await mirrorHasRevision(git, paths.mirrorDir, spec))) {
    await fetchPinnedCommit(git, fetchUrl, paths.mirrorDir, spec.commit);
  }
  await writeFile(paths.lastUsedPath, `${new Date().toISOString()}\n`);
  return outcome;
}

/** Without a cache: the task clones from the origin directly. */
export async function cloneWithoutCache(git: GitRunner, fetchUrl: string, repoDir: string, spec: RevisionSpec): Promise<void> {
  await git.run(['clone', '--no-checkout', '--quiet', '--', fetchUrl, repoDir]);
  if (spec.kind === 'commit' && (await git.probe(['cat-file', '-e', `${spec.commit}^{commit}`], { cwd: repoDir })) === null) {
    await fetchPinnedCommit(git, fetchUrl, repoDir, spec.commit);
  }
}

export interface EvictionResult {
  removed: string[];
  kept: string[];
  /** Over the limit but in use by a task right now; tried again next time. */
  busy: string[];
}

async function lastUsedMs(entryDir: string): Promise<number> {
  const marker = await stat(join(entryDir, 'last-used')).catch(() => null);
  if (marker) return marker.mtimeMs;
  return (await stat(entryDir)).mtimeMs;
}

/** Keeps the `maxEntries` most recently used cache entries and deletes the rest (skipping busy ones). */
export async function evictVcsCache(opts: { dir: string; maxEntries: number; log?: (line: string) => void }): Promise<EvictionResult> {
  const { dir, maxEntries } = opts;
  if (!Number.isInteger(maxEntries) || maxEntries < 0) {
    throw new RangeError(`evictVcsCache: maxEntries must be a whole number ≥ 0, got ${String(maxEntries)}`);
  }
  const result: EvictionResult = { removed: [], kept: [], busy: [] };
  const dirents = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const entries: Array<{ name: string; usedMs: number }> = [];
  for (const dirent of dirents) {
    if (!dirent.isDirectory()) continue;
    const usedMs = await lastUsedMs(join(dir, dirent.name)).catch(() => null);
    if (usedMs !== null) entries.push({ name: dirent.name, usedMs });
  }
  entries.sort((a, b) => b.usedMs - a.usedMs || a.name.localeCompare(b.name));
  for (const [index, entry] of entries.entries()) {
    if (index < maxEntries) {
      result.kept.push(entry.name);
      continue;
    }
    const entryDir = join(dir, entry.name);
    const lock = await tryAcquireFileLock(`${entryDir}.lock`);
    if (!lock) {
      result.busy.push(entry.name);
      continue;
    }
    try {
      await rm(entryDir, { recursive: true, force: true });
      result.removed.push(entry.name);
      opts.log?.(`vcs cache: evicted ${entry.name}`);
    } finally {
      await lock.release();
    }
  }
  return result;
}
