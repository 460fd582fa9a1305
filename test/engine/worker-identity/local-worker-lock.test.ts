import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  WorkerLockError,
  acquireLocalWorkerLock,
  listLocalWorkers,
} from '../../../src-main/engine/worker-identity/index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'worker-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshStateDir = () => path.join(root, `state-${(n += 1)}`);

/** A pid that certainly belongs to no process: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('acquireLocalWorkerLock', () => {
  it('refuses a second agent with the same worker id, with a clear message', async () => {
    const stateDir = freshStateDir();
    const first = await acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu0' });
    const second = acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu0' });
    await expect(second).rejects.toBeInstanceOf(WorkerLockError);
    await expect(acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu0' })).rejects.toThrow(
      new RegExp(`another agent already runs as worker "box:gpu0" on this machine \\(pid ${process.pid}, .*CLEARML_WORKER_ID`),
    );
    await first.release();
    const again = await acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu0' });
    expect(again.workerId).toBe('box:gpu0');
    await again.release();
  });

  it('gives slot-based ids the lowest free slot and reuses released slots', async () => {
    const stateDir = freshStateDir();
    const idFor = (slot: number) => `box:${slot}`;
    const a = await acquireLocalWorkerLock({ stateDir, workerId: idFor });
    const b = await acquireLocalWorkerLock({ stateDir, workerId: idFor });
    const gpu = await acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu1' });
    expect([a.workerId, a.slot, b.workerId, b.slot, gpu.slot]).toEqual(['box:0', 0, 'box:1', 1, 2]);
    await a.release();
    const c = await acquireLocalWorkerLock({ stateDir, workerId: idFor });
    expect([c.workerId, c.slot]).toEqual(['box:0', 0]);
    expect((await listLocalWorkers(stateDir)).map((e) => e.workerId).sort()).toEqual(['box:0', 'box:1', 'box:gpu1']);
    await Promise.all([b.release(), c.release(), gpu.release(), gpu.release()]);
    expect(await listLocalWorkers(stateDir)).toEqual([]);
  });

  it('takes over the pid file of a dead agent', async () => {
    const stateDir = freshStateDir();
    const stale = await acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu0', pid: await deadPid() });
    expect(await listLocalWorkers(stateDir)).toEqual([]);
    const lock = await acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu0' });
    expect(lock.slot).toBe(0);
    const files = readdirSync(path.join(stateDir, 'workers'));
    expect(files).toEqual([path.basename(lock.pidFile)]);
    expect(JSON.parse(readFileSync(lock.pidFile, 'utf8'))).toMatchObject({ pid: process.pid, workerId: 'box:gpu0', slot: 0 });
    expect(stale.pidFile).not.toBe(lock.pidFile);
    await lock.release();
  });

  it('treats a recycled pid (different start time) as dead', async () => {
    const stateDir = freshStateDir();
    const lock = await acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu0' });
    const entry = JSON.parse(readFileSync(lock.pidFile, 'utf8')) as { startTicks: number | null };
    if (entry.startTicks === null) {
      // Start times are only known on Linux; elsewhere a live pid always counts as the agent.
      expect(process.platform).not.toBe('linux');
    } else {
      writeFileSync(lock.pidFile, JSON.stringify({ ...entry, startTicks: entry.startTicks + 1 }));
      const taken = await acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu0' });
      expect(taken.pidFile).not.toBe(lock.pidFile);
      await taken.release();
    }
  });

  it('breaks a registry mutex left behind by a crashed process', async () => {
    const stateDir = freshStateDir();
    const mutex = path.join(stateDir, 'workers', '.registry.lock');
    const { mkdirSync, utimesSync } = await import('node:fs');
    mkdirSync(mutex, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(mutex, old, old);
    const lock = await acquireLocalWorkerLock({ stateDir, workerId: 'box:0' });
    expect(lock.workerId).toBe('box:0');
    await lock.release();
  });

  it('serialises concurrent claims of the same id: exactly one wins', async () => {
    const stateDir = freshStateDir();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => acquireLocalWorkerLock({ stateDir, workerId: 'box:gpu3' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(4);
  });
});
