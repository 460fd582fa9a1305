/**
 * The cache store with small directory "environments" (the store is generic over what is built
 * in an entry); real venvs go through it in prepare-environment*.test.ts.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheLease, EnvCacheContext, EntryHooks } from '../../../src-main/engine/environment/env-cache.js';
import { entryPaths, listEntriesByAge, useCacheEntry } from '../../../src-main/engine/environment/env-cache.js';

let dir: string;
let logs: string[];

function context(overrides: Partial<EnvCacheContext> = {}): EnvCacheContext {
  return { dir, maxEntries: 10, freeSpaceThresholdGb: 0, lockTimeoutSec: 30, log: (l) => logs.push(l), ...overrides };
}

const key = (c: string): string => c.repeat(64);

/** Hooks whose "environment" is a folder with a file; counts builds. */
function hooks(builds: string[], opts: { delayMs?: number; fail?: boolean } = {}): EntryHooks<{ tag: string }> {
  return {
    isUsable: async (contentDir) => (await readFile(path.join(contentDir, 'ok'), 'utf8').catch(() => '')) === 'ok',
    build: async (contentDir) => {
      builds.push(contentDir);
      await mkdir(contentDir, { recursive: true });
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.fail) throw new Error('pip said no');
      await writeFile(path.join(contentDir, 'ok'), 'ok');
      return { tag: path.basename(path.dirname(contentDir)).slice(0, 4) };
    },
  };
}

async function lease(ctx: EnvCacheContext, k: string, builds: string[]): Promise<CacheLease<{ tag: string }>> {
  const outcome = await useCacheEntry(ctx, k, hooks(builds));
  if (outcome.kind !== 'lease') throw new Error(`expected a lease, got: ${outcome.reason}`);
  return outcome.lease;
}

async function keysInCache(): Promise<string[]> {
  return (await listEntriesByAge(dir)).map((e) => e.key[0] ?? '').sort();
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'env-cache-'));
  logs = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('env cache store', () => {
  it('builds on a miss, marks the entry complete, and hits next time without building', async () => {
    const builds: string[] = [];
    const first = await lease(context(), key('a'), builds);
    expect(first.hit).toBe(false);
    expect(first.contentDir).toBe(path.join(dir, key('a'), 'env'));
    const marker = JSON.parse(await readFile(entryPaths(dir, key('a')).marker, 'utf8')) as { key: string; meta: unknown };
    expect(marker).toMatchObject({ key: key('a'), meta: { tag: 'aaaa' } });
    await first.release();

    const second = await lease(context(), key('a'), builds);
    expect(second.hit).toBe(true);
    expect(second.meta).toEqual({ tag: 'aaaa' });
    expect(builds).toHaveLength(1);
    await second.release();
    await second.release(); // idempotent
  });

  it('discards an entry whose build never finished (no marker) and rebuilds it', async () => {
    const paths = entryPaths(dir, key('b'));
    await mkdir(paths.contentDir, { recursive: true });
    await writeFile(path.join(paths.contentDir, 'half'), 'x');
    const builds: string[] = [];
    const l = await lease(context(), key('b'), builds);
    expect(l.hit).toBe(false);
    expect(builds).toHaveLength(1);
    expect(await readdir(paths.contentDir)).toEqual(['ok']);
    expect(logs.join('\n')).toMatch(/discarding broken entry b{64} \(an earlier build did not finish\)/);
    await l.release();
  });

  it('discards a complete entry that no longer works and rebuilds it', async () => {
    const builds: string[] = [];
    await (await lease(context(), key('c'), builds)).release();
    await rm(path.join(entryPaths(dir, key('c')).contentDir, 'ok'));
    const l = await lease(context(), key('c'), builds);
    expect(l.hit).toBe(false);
    expect(builds).toHaveLength(2);
    expect(logs.join('\n')).toMatch(/interpreter no longer runs/);
    await l.release();
  });

  it('leaves no entry behind when the build fails', async () => {
    const builds: string[] = [];
    await expect(useCacheEntry(context(), key('d'), hooks(builds, { fail: true }))).rejects.toThrow('pip said no');
    await expect(stat(path.join(dir, key('d')))).rejects.toThrow();
    const l = await lease(context(), key('d'), builds);
    expect(l.hit).toBe(false);
    await l.release();
  });

  it('evicts the least recently used entries one by one to stay within max_entries', async () => {
    const ctx = context({ maxEntries: 2 });
    const builds: string[] = [];
    await (await lease(ctx, key('a'), builds)).release();
    await new Promise((r) => setTimeout(r, 5));
    await (await lease(ctx, key('b'), builds)).release();
    await new Promise((r) => setTimeout(r, 5));
    await (await lease(ctx, key('a'), builds)).release(); // a is now more recent than b
    await new Promise((r) => setTimeout(r, 5));
    await (await lease(ctx, key('c'), builds)).release();
    expect(await keysInCache()).toEqual(['a', 'c']);
    expect(logs.filter((l) => l.includes('evicted'))).toEqual([
      `Environment cache: evicted ${key('b')} (least recently used; max_entries is 2)`,
    ]);
  });

  it('never evicts an entry that a running task uses', async () => {
    const ctx = context({ maxEntries: 1 });
    const builds: string[] = [];
    const inUse = await lease(ctx, key('a'), builds);
    await (await lease(ctx, key('b'), builds)).release();
    expect(await keysInCache()).toEqual(['a', 'b']);
    expect(logs.join('\n')).toMatch(/entries are in use/);
    await inUse.release();
    await (await lease(ctx, key('c'), builds)).release();
    expect(await keysInCache()).toEqual(['c']);
  });

  it('evicts oldest-first while free space is below the threshold, then does not cache', async () => {
    const builds: string[] = [];
    await (await lease(context(), key('a'), builds)).release();
    await new Promise((r) => setTimeout(r, 5));
    await (await lease(context(), key('b'), builds)).release();
    const inUse = await lease(context(), key('c'), builds);
    // No disk here has a petabyte free: every evictable entry goes, one at a time, oldest first.
    const outcome = await useCacheEntry(context({ freeSpaceThresholdGb: 1e6 }), key('d'), hooks(builds));
    expect(outcome.kind).toBe('not-cached');
    if (outcome.kind === 'not-cached') expect(outcome.reason).toMatch(/below free_space_threshold_gb \(1000000\)/);
    const evictions = logs.filter((l) => l.includes('evicted'));
    expect(evictions).toHaveLength(2);
    expect(evictions[0]).toContain(key('a'));
    expect(evictions[1]).toContain(key('b'));
    expect(await keysInCache()).toEqual(['c']);
    await inUse.release();
  });

  it('lets two tasks wanting the same environment wait for one build', async () => {
    const builds: string[] = [];
    const slow = hooks(builds, { delayMs: 300 });
    const [x, y] = await Promise.all([useCacheEntry(context(), key('e'), slow), useCacheEntry(context(), key('e'), slow)]);
    expect(builds).toHaveLength(1);
    const hits = [x, y].map((o) => (o.kind === 'lease' ? o.lease.hit : null)).sort();
    expect(hits).toEqual([false, true]);
    expect(logs.join('\n')).toMatch(/waiting for eeeeeeeeeeee, in use by pid \d+/);
    for (const o of [x, y]) if (o.kind === 'lease') await o.lease.release();
  });

  it('does not cache at all with max_entries below 1', async () => {
    const outcome = await useCacheEntry(context({ maxEntries: 0 }), key('f'), hooks([]));
    expect(outcome).toEqual({ kind: 'not-cached', reason: 'max_entries is 0' });
  });

  it('touches last-used on a hit and on release (LRU order)', async () => {
    const builds: string[] = [];
    await (await lease(context(), key('a'), builds)).release();
    await new Promise((r) => setTimeout(r, 5));
    await (await lease(context(), key('b'), builds)).release();
    expect((await listEntriesByAge(dir)).map((e) => e.key[0])).toEqual(['a', 'b']);
    await new Promise((r) => setTimeout(r, 5));
    await (await lease(context(), key('a'), builds)).release();
    expect((await listEntriesByAge(dir)).map((e) => e.key[0])).toEqual(['b', 'a']);
  });
});
