import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../../src-main/engine/environment/errors.js';
import { acquireFileLock, tryAcquireFileLock } from '../../../src-main/engine/environment/file-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'file-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid ?? 999_999;
}

describe('file lock', () => {
  it('is exclusive until released, and records its holder', async () => {
    const lockPath = path.join(dir, 'k.lock');
    const first = await tryAcquireFileLock(lockPath, 10_000);
    expect(first).not.toBeNull();
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(await tryAcquireFileLock(lockPath, 10_000)).toBeNull();
    await first?.release();
    const second = await tryAcquireFileLock(lockPath, 10_000);
    expect(second).not.toBeNull();
    await second?.release();
  });

  it('takes over a lock whose holder died on this host', async () => {
    const lockPath = path.join(dir, 'k.lock');
    await writeFile(lockPath, JSON.stringify({ pid: await deadPid(), host: os.hostname(), token: 'old', since: '' }));
    const lock = await tryAcquireFileLock(lockPath, 60_000);
    expect(lock).not.toBeNull();
    await lock?.release();
  });

  it('takes over a lock from another host once it has been silent for staleAfterMs', async () => {
    const lockPath = path.join(dir, 'k.lock');
    await writeFile(lockPath, JSON.stringify({ pid: 1, host: 'some-container', token: 'old', since: '' }));
    expect(await tryAcquireFileLock(lockPath, 60_000)).toBeNull();
    const past = new Date(Date.now() - 120_000);
    await utimes(lockPath, past, past);
    const lock = await tryAcquireFileLock(lockPath, 60_000);
    expect(lock).not.toBeNull();
    await lock?.release();
  });

  it('keeps a held lock fresh (heartbeat) so waiters do not take it over', async () => {
    const lockPath = path.join(dir, 'k.lock');
    const lock = await tryAcquireFileLock(lockPath, 900);
    const past = new Date(Date.now() - 5000);
    await utimes(lockPath, past, past);
    await new Promise((r) => setTimeout(r, 450));
    expect(Date.now() - (await stat(lockPath)).mtimeMs).toBeLessThan(900);
    expect(await tryAcquireFileLock(lockPath, 900)).toBeNull();
    await lock?.release();
  });

  it('waits for a live holder and then gets the lock', async () => {
    const lockPath = path.join(dir, 'k.lock');
    const holder = await tryAcquireFileLock(lockPath, 10_000);
    let waitedFor: number | undefined;
    const waiting = acquireFileLock(lockPath, { staleAfterMs: 10_000, pollMs: 20, onWait: (h) => (waitedFor = h?.pid) });
    await new Promise((r) => setTimeout(r, 100));
    expect(waitedFor).toBe(process.pid);
    await holder?.release();
    const lock = await waiting;
    await lock.release();
  });

  it('stops waiting when cancelled', async () => {
    const lockPath = path.join(dir, 'k.lock');
    const holder = await tryAcquireFileLock(lockPath, 10_000);
    const controller = new AbortController();
    const waiting = acquireFileLock(lockPath, { staleAfterMs: 10_000, pollMs: 1000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await waiting.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).reason).toBe('cancelled');
    await holder?.release();
  });
});
