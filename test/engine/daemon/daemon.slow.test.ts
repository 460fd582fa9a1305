import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../helpers/embedded-server.js';
import { writeAgentConfig } from '../../helpers/agent-config.js';
import { fakeNvidiaSmiEnv } from '../../helpers/fake-nvidia-smi/index.js';
import { createApiClient, type ApiClient } from '../../../src-main/engine/api/index.js';
import { startDaemon, type DaemonFlags, type DaemonHandle } from '../../../src-main/engine/daemon/start-daemon.js';

// The daemon against the real embedded server over HTTP, running real task processes.
let server: TestServer;
let root: string;
let client: ApiClient;
let configFile: string;
const handles: DaemonHandle[] = [];
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tray-agent-daemon-'));
  server = await startTestServer();
  client = createApiClient({ apiServer: server.url, credentials: server.credentials });
  configFile = await writeAgentConfig(join(root, 'agent'), server);
});

afterEach(async () => {
  for (const handle of handles.splice(0)) {
    handle.stop();
    await handle.done;
  }
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

async function daemon(flags: Partial<DaemonFlags>, extra: { now?: () => Date; hostname?: string; env?: Record<string, string | undefined> } = {}): Promise<DaemonHandle> {
  const handle = await startDaemon({
    flags: { queues: [], configFile, pollingIntervalSec: 0.2, ...flags },
    log: () => undefined,
    hostname: extra.hostname ?? `host${++counter}`,
    now: extra.now,
    env: { PATH: process.env['PATH'], HOME: root, ...extra.env },
  });
  handles.push(handle);
  return handle;
}

async function queue(name: string, tags: string[] = []): Promise<string> {
  const { id } = await client.queues.create({ name, tags });
  return id;
}

async function enqueueScript(queueName: string, script = 'print("hello")\n', name = 'daemon test'): Promise<string> {
  const { id } = await client.tasks.create({ name, type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script } } as never);
  await client.tasks.enqueue({ task: id, queueName });
  return id;
}

async function waitForStatus(taskId: string, statuses: string[], timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const task = await client.tasks.getById(taskId);
    if (statuses.includes(String(task.status))) return String(task.status);
    if (Date.now() > end) throw new Error(`task ${taskId} is ${task.status}, expected ${statuses.join('/')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForWorkersGone(ids: string[], timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const present = (await client.workers.getAll({ lastSeenSec: 0 })).map((w) => w.id).filter((id) => ids.includes(id));
    if (present.length === 0) return;
    if (Date.now() > end) throw new Error(`workers still registered: ${present.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startOrder(ids: string[]): Promise<string[]> {
  const tasks = await Promise.all(ids.map((id) => client.tasks.getById(id)));
  return tasks.sort((a, b) => String(a.started).localeCompare(String(b.started))).map((t) => t.id);
}

describe('daemon', () => {
  it('pulls in priority order across three queues', async () => {
    await queue('prio-a');
    await queue('prio-b');
    await queue('prio-c');
    const c1 = await enqueueScript('prio-c');
    const b1 = await enqueueScript('prio-b');
    const a1 = await enqueueScript('prio-a');
    const a2 = await enqueueScript('prio-a');
    await daemon({ queues: ['prio-a', 'prio-b', 'prio-c'] });
    for (const id of [a1, a2, b1, c1]) await waitForStatus(id, ['completed']);
    expect(await startOrder([a1, a2, b1, c1])).toEqual([a1, a2, b1, c1]);
  });

  it('pulls round-robin with --order-fairness', async () => {
    await queue('fair-a');
    await queue('fair-b');
    await queue('fair-c');
    const a1 = await enqueueScript('fair-a');
    const a2 = await enqueueScript('fair-a');
    const b1 = await enqueueScript('fair-b');
    const b2 = await enqueueScript('fair-b');
    const c1 = await enqueueScript('fair-c');
    await daemon({ queues: ['fair-a', 'fair-b', 'fair-c'], orderFairness: true });
    for (const id of [a1, a2, b1, b2, c1]) await waitForStatus(id, ['completed']);
    expect(await startOrder([a1, a2, b1, b2, c1])).toEqual([a1, b1, c1, a2, b2]);
  });

  it('two daemons sharing a queue never run one task twice', async () => {
    await queue('shared');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await enqueueScript('shared', 'print("run once")\n'));
    await daemon({ queues: ['shared'] });
    await daemon({ queues: ['shared'] });
    for (const id of ids) await waitForStatus(id, ['completed']);
    for (const id of ids) {
      const { events } = await client.events.getTaskLog({ task: id, batchSize: 1000, navigateEarlier: false } as never);
      const text = events.map((e) => String(e.msg)).join('');
      expect(text.match(/run once/g)).toHaveLength(1);
      expect(text.match(/pulled from shared/g)).toHaveLength(1);
    }
  });

  it('queue tag force_workers:off pauses a queue; force_workers:on overrides the schedule', async () => {
    const off = await queue('tag-off', ['force_workers:off']);
    const task = await enqueueScript('tag-off');
    const handle = await daemon({ queues: ['tag-off'] });
    await new Promise((r) => setTimeout(r, 800));
    expect((await client.tasks.getById(task)).status).toBe('queued');
    expect(handle.state()).toMatchObject({ kind: 'paused' });
    await client.queues.update({ queue: off, tags: ['force_workers:on'] });
    await waitForStatus(task, ['completed']);
  });

  it('runtime property force=off pauses the worker until it expires', async () => {
    await queue('rt-force');
    const handle = await daemon({ queues: ['rt-force'] });
    await client.workers.setRuntimeProperties({ worker: handle.workerId, runtimeProperties: [{ key: 'force', value: 'off', expiry: 2 }] });
    const task = await enqueueScript('rt-force');
    await new Promise((r) => setTimeout(r, 700));
    expect((await client.tasks.getById(task)).status).toBe('queued');
    await waitForStatus(task, ['completed'], 15_000);
  });

  it('obeys --uptime with a controllable clock (outside the window: paused)', async () => {
    await queue('sched');
    // Saturday 12:00 local: outside "17-20 SUN-TUE".
    const saturdayNoon = new Date(2026, 10, 28, 12, 0, 0);
    let clock = saturdayNoon;
    const task = await enqueueScript('sched');
    const handle = await daemon({ queues: ['sched'], uptime: ['17-20 SUN-TUE'] }, { now: () => clock });
    await new Promise((r) => setTimeout(r, 700));
    expect((await client.tasks.getById(task)).status).toBe('queued');
    expect(handle.state()).toMatchObject({ kind: 'paused' });
    clock = new Date(2026, 10, 29, 18, 0, 0); // Sunday 18:00: inside
    await waitForStatus(task, ['completed'], 15_000);
  });

  it('drain finishes the running task, pulls nothing new, then exits', async () => {
    await queue('drain-q');
    const running = await enqueueScript('drain-q', 'import time\nprint("working", flush=True)\ntime.sleep(1.5)\nprint("finished")\n');
    const waiting = await enqueueScript('drain-q');
    const handle = await daemon({ queues: ['drain-q'] });
    await waitForStatus(running, ['in_progress']);
    handle.drain();
    await handle.done;
    expect((await client.tasks.getById(running)).status).toBe('completed');
    expect((await client.tasks.getById(waiting)).status).toBe('queued');
  });

  it('stop aborts the running task with SIGTERM and marks it stopped "agent shutdown", never completed', async () => {
    await queue('stop-q');
    const task = await enqueueScript('stop-q', 'import time\nprint("working", flush=True)\ntime.sleep(30)\n');
    const handle = await daemon({ queues: ['stop-q'] });
    await waitForStatus(task, ['in_progress']);
    await new Promise((r) => setTimeout(r, 500));
    handle.stop();
    await handle.done;
    const after = await client.tasks.getById(task);
    expect(after.status).toBe('stopped');
    expect(after.status_reason).toBe('agent shutdown');
  });

  it('refuses a second local daemon with the same worker id', async () => {
    await queue('dup-q');
    await daemon({ queues: ['dup-q'] }, { env: { CLEARML_WORKER_ID: 'same-worker' } });
    await expect(daemon({ queues: ['dup-q'] }, { env: { CLEARML_WORKER_ID: 'same-worker' } })).rejects.toThrow(/same-worker/);
  });

  it('runs several tasks at once in dynamic GPU slots, each with its own GPUs and worker', async () => {
    await queue('dyn-dual');
    await queue('dyn-half');
    const script = 'import os, time\nprint("GPUS=" + os.environ.get("CUDA_VISIBLE_DEVICES", "?"), flush=True)\ntime.sleep(1.5)\n';
    const dual = await enqueueScript('dyn-dual', script);
    const half1 = await enqueueScript('dyn-half', script);
    const half2 = await enqueueScript('dyn-half', script);
    const handle = await daemon({ queues: ['dyn-dual=2', 'dyn-half=0.5'], dynamicGpus: true, gpus: '0-2' });
    const name = handle.workerId.split(':')[0];
    expect(handle.workerId).toBe(`${name}:dgpu0-2`);
    // All three fit at once on 3 GPUs: dual takes 0,1; the halves share GPU 2.
    await waitForStatus(dual, ['in_progress']);
    await waitForStatus(half1, ['in_progress']);
    await waitForStatus(half2, ['in_progress']);
    const workers = (await client.workers.getAll({ lastSeenSec: 0 })).map((w) => w.id);
    expect(workers).toEqual(expect.arrayContaining([`${name}:gpu0,1`, `${name}:gpu2.5a`, `${name}:gpu2.5b`]));
    for (const id of [dual, half1, half2]) await waitForStatus(id, ['completed']);
    const logOf = async (id: string) => (await client.events.getTaskLog({ task: id, batchSize: 100, navigateEarlier: false } as never)).events.map((e) => String(e.msg)).join('');
    expect(await logOf(dual)).toContain('GPUS=0,1');
    expect(await logOf(half1)).toContain('GPUS=2');
    // Slot workers end with their task: no phantom workers left on the server.
    await waitForWorkersGone([`${name}:gpu0,1`, `${name}:gpu2.5a`, `${name}:gpu2.5b`]);
  });

  it('services mode runs tasks in the background, each as its own worker W:service:T, at most N at once', async () => {
    await queue('svc-q');
    const script = 'import time\nprint("service up", flush=True)\ntime.sleep(2)\n';
    const ids = [await enqueueScript('svc-q', script), await enqueueScript('svc-q', script), await enqueueScript('svc-q', script)];
    const handle = await daemon({ queues: ['svc-q'], servicesMode: 2 });
    await waitForStatus(ids[0]!, ['in_progress']);
    await waitForStatus(ids[1]!, ['in_progress']);
    expect((await client.tasks.getById(ids[2]!)).status).toBe('queued');
    const workers = (await client.workers.getAll({ lastSeenSec: 0 })).map((w) => w.id);
    expect(workers).toEqual(expect.arrayContaining([`${handle.workerId}:service:${ids[0]}`, `${handle.workerId}:service:${ids[1]}`]));
    for (const id of ids) await waitForStatus(id, ['completed']);
    await waitForWorkersGone(ids.map((id) => `${handle.workerId}:service:${id}`));
    expect((await client.workers.getAll({ lastSeenSec: 0 })).map((w) => w.id)).toContain(handle.workerId);
  });

  it('says once when it pauses (with the reason) and once when it resumes', async () => {
    await queue('pause-log-q');
    const lines: string[] = [];
    const handle = await startDaemon({
      flags: { queues: ['pause-log-q'], configFile, pollingIntervalSec: 0.2 },
      log: (_level, text) => lines.push(text),
      env: { PATH: process.env['PATH'], HOME: root, CLEARML_WORKER_ID: 'pause-log-worker' },
    });
    handles.push(handle);
    await client.workers.setRuntimeProperties({ worker: handle.workerId, runtimeProperties: [{ key: 'force', value: 'off', expiry: 2 }] });
    handle.poke();
    const task = await enqueueScript('pause-log-q');
    await waitForStatus(task, ['completed'], 20_000);
    const paused = lines.filter((l) => l.startsWith('Paused, not pulling tasks'));
    expect(paused).toHaveLength(1);
    expect(paused[0]).toMatch(/worker runtime property force=off/);
    expect(lines.filter((l) => l.startsWith('Resumed pulling tasks'))).toHaveLength(1);
  });

  it('agent.reload_config picks up a new schedule without a restart', async () => {
    await queue('reload-q');
    const reloadRoot = join(root, 'reload');
    const writeConfig = (uptime: string) => writeAgentConfig(reloadRoot, server, `reload_config: true\n  uptime: ["${uptime}"]`);
    const reloadConfig = await writeConfig('17-20 SUN-TUE');
    const saturdayNoon = new Date(2026, 10, 28, 12, 0, 0);
    const task = await enqueueScript('reload-q');
    const handle = await startDaemon({
      flags: { queues: ['reload-q'], configFile: reloadConfig, pollingIntervalSec: 0.2 },
      log: () => undefined,
      now: () => saturdayNoon,
      env: { PATH: process.env['PATH'], HOME: root },
    });
    handles.push(handle);
    await new Promise((r) => setTimeout(r, 700));
    expect((await client.tasks.getById(task)).status).toBe('queued');
    await writeConfig('10-14 SAT');
    await waitForStatus(task, ['completed'], 15_000);
  });

  it('agent.skip_busy_gpus: waits while a foreign process holds its GPU (fake nvidia-smi replaying the H200 recordings)', async () => {
    await queue('busy-gpu-q');
    const busyRoot = join(root, 'busy');
    const busyConfig = await writeAgentConfig(busyRoot, server, 'skip_busy_gpus: true');
    const env = fakeNvidiaSmiEnv({ state: 'busy', baseEnv: { PATH: process.env['PATH'], HOME: root } });
    const task = await enqueueScript('busy-gpu-q');
    const handle = await startDaemon({ flags: { queues: ['busy-gpu-q'], configFile: busyConfig, pollingIntervalSec: 0.2, gpus: '0' }, log: () => undefined, env });
    handles.push(handle);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await client.tasks.getById(task)).status).toBe('queued');
    expect(handle.state()).toMatchObject({ kind: 'paused', reason: expect.stringMatching(/GPU 0 busy with a process that is not ours: .*python3 \(pid 646\)/) });
    env['FAKE_NVIDIA_SMI_STATE'] = 'idle'; // the notebook ended
    await waitForStatus(task, ['completed'], 15_000);
  });

  it('one daemon per GPU on one machine: host:gpu0 and host:gpu1, each task sees only its GPU; --create-queue', async () => {
    const gpu0 = await daemon({ queues: ['per-gpu-q'], gpus: '0', createQueue: true });
    const gpu1 = await daemon({ queues: ['per-gpu-q'], gpus: '1' });
    const name = gpu0.workerId.split(':')[0];
    expect([gpu0.workerId, gpu1.workerId]).toEqual([`${name}:gpu0`, `${name}:gpu1`]);
    const script = 'import os, time\nprint("CVD=" + os.environ["CUDA_VISIBLE_DEVICES"] + " NVD=" + os.environ["NVIDIA_VISIBLE_DEVICES"], flush=True)\ntime.sleep(1)\n';
    const ids = [await enqueueScript('per-gpu-q', script), await enqueueScript('per-gpu-q', script)];
    for (const id of ids) await waitForStatus(id, ['completed']);
    const logs = await Promise.all(ids.map(async (id) => (await client.events.getTaskLog({ task: id, batchSize: 100, navigateEarlier: false } as never)).events.map((e) => String(e.msg)).join('')));
    expect(logs.map((l) => /CVD=(\d) NVD=(\d)/.exec(l)?.slice(1).join('/')).sort()).toEqual(['0/0', '1/1']);
  });
});

