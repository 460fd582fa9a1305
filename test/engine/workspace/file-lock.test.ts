import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireFileLock, tryAcquireFileLock } from '../../../src-main/engine/workspace/file-lock.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tray-agent-lock-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('file lock', () => {
  it('is exclusive, records the owner, and is removed on release', async () => {
    const path = join(dir, 'a.lock');
    const first = await tryAcquireFileLock(path);
    expect(first).not.toBeNull();
    const record = JSON.parse(await readFile(path, 'utf8')) as { pid: number; host: string };
    expect(record).toMatchObject({ pid: process.pid, host: hostname() });
    expect(await tryAcquireFileLock(path)).toBeNull();
    await first!.release();
    expect(existsSync(path)).toBe(false);
    const second = await tryAcquireFileLock(path);
    expect(second).not.toBeNull();
    await second!.release();
  });

  it('waits for a holder to release', async () => {
    const path = join(dir, 'b.lock');
    const holder = (await tryAcquireFileLock(path))!;
    const waits: string[] = [];
    setTimeout(() => void holder.release(), 150);
    const started = Date.now();
    const lock = await acquireFileLock(path, { timeoutMs: 5000, pollMs: 20, onWait: (h) => waits.push(h) });
    expect(lock).not.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(waits).toEqual([expect.stringContaining(`pid ${process.pid}`)]);
    await lock!.release();
  });

  it('gives up after the timeout while a live process holds it', async () => {
    const path = join(dir, 'c.lock');
    await writeFile(path, JSON.stringify({ pid: process.ppid, host: hostname(), token: 'other', acquiredAt: new Date().toISOString() }));
    expect(await acquireFileLock(path, { timeoutMs: 120, pollMs: 20 })).toBeNull();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ token: 'other' });
    await rm(path);
  });

  it('breaks a lock whose owner process is gone', async () => {
    const path = join(dir, 'd.lock');
    await writeFile(path, JSON.stringify({ pid: await deadPid(), host: hostname(), token: 'crashed', acquiredAt: new Date().toISOString() }));
    const lock = await tryAcquireFileLock(path);
    expect(lock).not.toBeNull();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock!.release();
  });

  it('treats an unreadable lock as abandoned only once it is old', async () => {
    const path = join(dir, 'e.lock');
    await writeFile(path, '');
    expect(await tryAcquireFileLock(path)).toBeNull();
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const lock = await tryAcquireFileLock(path);
    expect(lock).not.toBeNull();
    await lock!.release();
  });

  it('release never removes a lock someone else took over', async () => {
    const path = join(dir, 'f.lock');
    const mine = (await tryAcquireFileLock(path))!;
    await writeFile(path, JSON.stringify({ pid: process.ppid, host: hostname(), token: 'theirs', acquiredAt: new Date().toISOString() }));
    await mine.release();
    expect(existsSync(path)).toBe(true);
    await rm(path);
  });

  it('stops waiting when aborted', async () => {
    const path = join(dir, 'g.lock');
    const holder = (await tryAcquireFileLock(path))!;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('task aborted')), 50);
    await expect(acquireFileLock(path, { timeoutMs: 10_000, pollMs: 1000, signal: controller.signal })).rejects.toThrow('task aborted');
    await holder.release();
  });

  it('only one of many concurrent contenders gets it', async () => {
    const path = join(dir, 'h.lock');
    const results = await Promise.all(Array.from({ length: 8 }, () => tryAcquireFileLock(path)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    await results.find((r) => r !== null)!.release();
  });
});
