// The vcs cache through prepareWorkspace: hits without touching the origin, fetches on a
// miss, heals a broken mirror, serializes concurrent tasks, and evicts oldest-used first.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { evictVcsCache, prepareWorkspace, type WorkspaceOptions } from '../../../src-main/engine/workspace/index.js';
import { tryAcquireFileLock } from '../../../src-main/engine/workspace/file-lock.js';
import { cacheEntryPaths } from '../../../src-main/engine/workspace/vcs-cache.js';
import { useWorkspaceBed } from '../../helpers/workspace-bed.js';

const execFileAsync = promisify(execFile);
const bed = useWorkspaceBed('tray-agent-vcs-cache-test-', {});
let pushes = 0;
const options = (vcsCacheDir: string, extra: Partial<WorkspaceOptions> = {}) => bed.options({ vcsCacheDir, ...extra });

/** Pushes a new commit to trunk of the fixture origin and returns it. */
async function pushNewTrunkCommit(message: string): Promise<string> {
  const work = join(bed.scratch, `pusher-${++pushes}-${Date.now()}`);
  await bed.fx.git(['clone', '--quiet', '--no-recurse-submodules', bed.fx.originDir, work]);
  await writeFile(join(work, `${message.replace(/\W/g, '_')}.txt`), message);
  await bed.fx.git(['add', '.'], work);
  await bed.fx.git(['commit', '--quiet', '-m', message], work);
  await bed.fx.git(['push', '--quiet', 'origin', 'trunk'], work);
  return bed.fx.git(['rev-parse', 'HEAD'], work);
}

describe('vcs cache', () => {
  it('serves a pinned commit from the cache on the second task without asking the origin', async () => {
    const cache = join(bed.scratch, 'cache-hit');
    const url = `${bed.server.url}/main.git`;
    const before = bed.server.requests.length;
    const first = options(cache);
    await prepareWorkspace({ taskId: 't1', repository: url, commit: bed.fx.commits.pinned }, first);
    const afterFirst = bed.server.requests.length;
    expect(bed.server.requests.slice(before, afterFirst).filter((r) => r.path.startsWith('/main.git')).length).toBeGreaterThan(0);
    expect(first.lines.join('\n')).toContain('vcs cache: cloned');

    const second = options(cache);
    const ws = await prepareWorkspace({ taskId: 't2', repository: url, commit: bed.fx.commits.pinned }, second);
    expect(ws.resolvedCommit).toBe(bed.fx.commits.pinned);
    // Only the submodule (not cached) is fetched from the server; main.git is not contacted at all.
    expect(bed.server.requests.slice(afterFirst).filter((r) => r.path.startsWith('/main.git'))).toEqual([]);
    expect(second.lines.join('\n')).toContain('vcs cache: hit');
  });

  it('fetches into the existing mirror for branches, and on a miss of the wanted commit', async () => {
    const cache = join(bed.scratch, 'cache-fetch');
    const first = options(cache);
    await prepareWorkspace({ taskId: 't1', repository: bed.fx.originUrl, branch: 'trunk' }, first);
    const paths = cacheEntryPaths(cache, bed.fx.originUrl);
    // A marker inside the mirror shows it is reused, not re-cloned.
    await writeFile(join(paths.mirrorDir, 'marker'), 'kept');

    const newTip = await pushNewTrunkCommit('new work on trunk');
    const second = options(cache);
    const ws = await prepareWorkspace({ taskId: 't2', repository: bed.fx.originUrl, branch: 'trunk' }, second);
    expect(ws.resolvedCommit).toBe(newTip);
    expect(second.lines.join('\n')).toContain('vcs cache: fetched');
    expect(existsSync(join(paths.mirrorDir, 'marker'))).toBe(true);

    const pinnedLater = await pushNewTrunkCommit('pinned after the cache was filled');
    const third = options(cache);
    const pinned = await prepareWorkspace({ taskId: 't3', repository: bed.fx.originUrl, commit: pinnedLater }, third);
    expect(pinned.resolvedCommit).toBe(pinnedLater);
    expect(third.lines.join('\n')).toContain('vcs cache: fetched');
    expect(existsSync(join(paths.mirrorDir, 'marker'))).toBe(true);
  });

  it('follows a change of the remote default branch', async () => {
    const cache = join(bed.scratch, 'cache-default');
    await prepareWorkspace({ taskId: 't1', repository: bed.fx.originUrl }, options(cache));
    await bed.fx.git(['symbolic-ref', 'HEAD', 'refs/heads/feature'], bed.fx.originDir);
    try {
      const ws = await prepareWorkspace({ taskId: 't2', repository: bed.fx.originUrl }, options(cache));
      expect(ws.resolvedCommit).toBe(bed.fx.commits.featureTip);
      expect(await bed.fx.git(['rev-parse', '--abbrev-ref', 'HEAD'], ws.repoDir)).toBe('feature');
    } finally {
      await bed.fx.git(['symbolic-ref', 'HEAD', 'refs/heads/trunk'], bed.fx.originDir);
    }
  });

  it('re-clones a cache entry whose fetch fails (clone_on_pull_fail)', async () => {
    const cache = join(bed.scratch, 'cache-broken');
    await prepareWorkspace({ taskId: 't1', repository: bed.fx.originUrl, branch: 'trunk' }, options(cache));
    const paths = cacheEntryPaths(cache, bed.fx.originUrl);
    // A ref lock left behind by a crashed git makes every fetch that updates trunk fail.
    await writeFile(join(paths.mirrorDir, 'refs', 'heads', 'trunk.lock'), '');
    const newTip = await pushNewTrunkCommit('work after a crashed fetch');
    const o = options(cache);
    const ws = await prepareWorkspace({ taskId: 't2', repository: bed.fx.originUrl, branch: 'trunk' }, o);
    expect(ws.resolvedCommit).toBe(newTip);
    const log = o.lines.join('\n');
    expect(log).toMatch(/vcs cache: fetch failed \(.*trunk\.lock.*\); re-cloning the cache entry/s);
    expect(log).toContain('vcs cache: recloned');
    expect(existsSync(join(paths.mirrorDir, 'refs', 'heads', 'trunk.lock'))).toBe(false);
  });

  it('re-clones a cache entry that is no longer a repository', async () => {
    const cache = join(bed.scratch, 'cache-garbage');
    await prepareWorkspace({ taskId: 't1', repository: bed.fx.originUrl, branch: 'feature' }, options(cache));
    const paths = cacheEntryPaths(cache, bed.fx.originUrl);
    await writeFile(join(paths.mirrorDir, 'HEAD'), 'garbage\n');
    const o = options(cache);
    const ws = await prepareWorkspace({ taskId: 't2', repository: bed.fx.originUrl, branch: 'feature' }, o);
    expect(ws.resolvedCommit).toBe(bed.fx.commits.featureTip);
    expect(o.lines.join('\n')).toContain('vcs cache: cloned');
    expect(await bed.fx.git(['fsck', '--no-dangling'], paths.mirrorDir)).toBe('');
  });

  it('lets two concurrent tasks on the same repository share one clone through the lock', async () => {
    const cache = join(bed.scratch, 'cache-concurrent');
    const url = `${bed.server.url}/main.git`;
    const a = options(cache);
    const b = options(cache);
    const [wa, wb] = await Promise.all([
      prepareWorkspace({ taskId: 'ta', repository: url, commit: bed.fx.commits.pinned }, a),
      prepareWorkspace({ taskId: 'tb', repository: url, commit: bed.fx.commits.pinned }, b),
    ]);
    expect(wa.resolvedCommit).toBe(bed.fx.commits.pinned);
    expect(wb.resolvedCommit).toBe(bed.fx.commits.pinned);
    const logs = [...a.lines, ...b.lines];
    expect(logs.filter((l) => l.startsWith('vcs cache: cloning ')).length).toBe(1);
    expect(logs.filter((l) => l.startsWith('vcs cache: hit')).length).toBe(1);
    expect(logs.some((l) => /is in use by pid \d+/.test(l))).toBe(true);
    const paths = cacheEntryPaths(cache, url);
    expect(existsSync(paths.lockPath)).toBe(false);
    expect(await bed.fx.git(['fsck', '--no-dangling'], paths.mirrorDir)).toBe('');
  });

  it('goes uncached when the entry stays locked, and breaks a stale lock of a dead process', async () => {
    const cache = join(bed.scratch, 'cache-locked');
    const paths = cacheEntryPaths(cache, bed.fx.originUrl);
    await prepareWorkspace({ taskId: 't0', repository: bed.fx.originUrl }, options(cache));
    const held = (await tryAcquireFileLock(paths.lockPath))!;
    try {
      const o = options(cache, { vcsCacheLockTimeoutMs: 200 });
      const ws = await prepareWorkspace({ taskId: 't1', repository: bed.fx.originUrl, branch: 'feature' }, o);
      expect(ws.resolvedCommit).toBe(bed.fx.commits.featureTip);
      expect(o.lines.join('\n')).toContain('cloning without the cache');
    } finally {
      await held.release();
    }

    const child = execFile(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.on('exit', resolve));
    await writeFile(paths.lockPath, JSON.stringify({ pid: child.pid, host: hostname(), token: 'crashed-agent', acquiredAt: new Date().toISOString() }));
    const o = options(cache, { vcsCacheLockTimeoutMs: 200 });
    await prepareWorkspace({ taskId: 't2', repository: bed.fx.originUrl, branch: 'feature' }, o);
    expect(o.lines.join('\n')).not.toContain('cloning without the cache');
    expect(o.lines.join('\n')).toContain('vcs cache: fetched');
    expect(existsSync(paths.lockPath)).toBe(false);
  });
});

describe('evictVcsCache', () => {
  it('keeps the most recently used entries and skips one in use', async () => {
    const cache = join(bed.scratch, 'cache-evict');
    const repos = ['alpha', 'beta', 'gamma', 'delta'];
    for (const name of repos) {
      const dir = join(bed.fx.projectRoot, `${name}.git`);
      await execFileAsync('git', ['clone', '--quiet', '--bare', bed.fx.originDir, dir], { env: bed.fx.env });
      await prepareWorkspace({ taskId: name, repository: `file://${dir}`, commit: bed.fx.commits.tagged }, options(cache));
    }
    const entryOf = (name: string) => cacheEntryPaths(cache, `file://${join(bed.fx.projectRoot, `${name}.git`)}`);
    // Last used: alpha oldest … delta newest; beta is busy.
    for (const [i, name] of repos.entries()) {
      const when = new Date(Date.now() - (repos.length - i) * 3600_000);
      await utimes(entryOf(name).lastUsedPath, when, when);
    }
    const busy = (await tryAcquireFileLock(entryOf('beta').lockPath))!;
    const logged: string[] = [];
    let result;
    try {
      result = await evictVcsCache({ dir: cache, maxEntries: 1, log: (l) => logged.push(l) });
    } finally {
      await busy.release();
    }
    const name = (repo: string) => entryOf(repo).entryDir.split('/').pop()!;
    expect(result.kept).toEqual([name('delta')]);
    expect(result.removed.sort()).toEqual([name('alpha'), name('gamma')].sort());
    expect(result.busy).toEqual([name('beta')]);
    expect(existsSync(entryOf('alpha').entryDir)).toBe(false);
    expect(existsSync(entryOf('beta').entryDir)).toBe(true);
    expect(existsSync(entryOf('alpha').lockPath)).toBe(false);
    expect(logged).toHaveLength(2);

    // An evicted repository is simply cloned again next time.
    const o = options(cache);
    await prepareWorkspace({ taskId: 'again', repository: `file://${join(bed.fx.projectRoot, 'alpha.git')}`, commit: bed.fx.commits.tagged }, o);
    expect(o.lines.join('\n')).toContain('vcs cache: cloned');
  });

  it('handles a missing cache dir and refuses a bad limit', async () => {
    expect(await evictVcsCache({ dir: join(bed.scratch, 'no-such-cache'), maxEntries: 3 })).toEqual({ removed: [], kept: [], busy: [] });
    await expect(evictVcsCache({ dir: bed.scratch, maxEntries: -1 })).rejects.toThrow(/maxEntries must be a whole number/);
  });
});
