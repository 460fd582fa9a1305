import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useAgentTestBed } from '../helpers/agent-test-bed.js';
import { fakeNvidiaSmiEnv } from '../helpers/fake-nvidia-smi/index.js';
import { AgentHost, type PreferencesStore } from '../../src-main/control/index.js';
import type { BridgeEventName, BridgeEvents } from '../../src-shared/bridge.js';
import type { DaemonPreferences } from '../../src-main/engine/daemon/daemon-settings.js';
import { until } from '../helpers/until.js';

// The agent host against the real embedded server over HTTP, running real task processes.
const bed = useAgentTestBed('agent-host');
const hosts: AgentHost[] = [];
let counter = 0;

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.shutdown();
});

function memoryPreferences(initial: DaemonPreferences = {}): PreferencesStore & { value: DaemonPreferences } {
  const store = {
    value: { ...initial },
    get: () => store.value,
    set: (patch: Partial<DaemonPreferences>) => {
      store.value = { ...store.value, ...patch };
    },
  };
  return store;
}

function newHost(extra: { preferences?: PreferencesStore; env?: NodeJS.ProcessEnv } = {}): AgentHost {
  // A worker name of its own per test: force properties set in one test stay on the server.
  const name = `hosttest${++counter}`;
  const host = new AgentHost({
    version: 'test',
    configFile: bed.configFile,
    env: { ...(extra.env ?? { PATH: process.env['PATH'], HOME: bed.root }), CLEARML_WORKER_NAME: name },
    hostname: name,
    preferences: extra.preferences,
    refreshIntervalMs: 200,
  });
  hosts.push(host);
  return host;
}

async function enqueue(queueName: string, script: string): Promise<string> {
  const { id } = await bed.client.tasks.create({ name: `host ${queueName}`, type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script } } as never);
  await bed.client.tasks.enqueue({ task: id, queueName });
  return id;
}

const statusOf = async (id: string) => String((await bed.client.tasks.getById(id)).status);

type Recorded = { [E in BridgeEventName]: { event: E; payload: BridgeEvents[E] } }[BridgeEventName];

describe('agent host (control/)', () => {
  it('a task’s phases arrive as events in order with timings; its log lines arrive redacted; it shows in recent tasks', async () => {
    await bed.client.queues.create({ name: 'host-phases' });
    const host = newHost();
    const events: Recorded[] = [];
    host.subscribe((event, payload) => events.push({ event, payload } as Recorded));
    await host.startDaemon({ queues: ['host-phases'], pollingIntervalSec: 0.2 });
    const secret = bed.server.credentials.secretKey;
    const task = await enqueue('host-phases', `print("hello from the host")\nprint("secret ${secret}")\n`);
    await until(async () => (await statusOf(task)) === 'completed', 30_000, 'completion');
    await until(async () => (await host.snapshot()).recent.some((r) => r.id === task), 30_000, 'the recent list');

    const phases = events.filter((e) => e.event === 'phase' && e.payload.taskId === task).map((e) => e.payload as BridgeEvents['phase']);
    expect(phases.filter((p) => p.state === 'running').map((p) => p.phase)).toEqual(['start', 'workspace', 'environment', 'launch', 'run']);
    expect(phases.filter((p) => p.state === 'done').map((p) => p.phase)).toEqual(['start', 'workspace', 'environment', 'launch', 'run']);
    for (const done of phases.filter((p) => p.state === 'done')) expect(done.durationMs).toBeGreaterThanOrEqual(0);

    await until(() => events.some((e) => e.event === 'taskLog' && e.payload.lines.some((l) => l.text.includes('hello from the host'))), 30_000, 'log events');
    const lines = events.flatMap((e) => (e.event === 'taskLog' && e.payload.taskId === task ? e.payload.lines : []));
    expect(lines.map((l) => l.text).join('\n')).not.toContain(secret);
    expect(lines.some((l) => l.text.includes('secret ********'))).toBe(true);
    const page = await host.handle('getTaskLog', { taskId: task, fromSeq: 0 });
    expect(page.lines.map((l) => l.seq)).toEqual(page.lines.map((_l, i) => i));

    const snapshot = await host.snapshot();
    const recent = snapshot.recent.find((r) => r.id === task)!;
    expect(recent).toMatchObject({ status: 'completed', statusReason: 'worker execution done', exitCode: 0 });
    expect(recent.phases.map((p) => p.name)).toEqual(['start', 'workspace', 'environment', 'launch', 'run']);
    expect(snapshot.connection).toMatchObject({ state: 'connected', mode: 'remote', serverUrl: bed.server.url });
    expect(snapshot.workers).toHaveLength(1);
    expect(snapshot.queues.find((q) => q.name === 'host-phases')).toMatchObject({ selected: true, order: 0, depth: 0 });
  });

  it('pause sets force off on the server and nothing is pulled; resume pulls it', async () => {
    await bed.client.queues.create({ name: 'host-pause' });
    const host = newHost();
    const daemon = await host.startDaemon({ queues: ['host-pause'], pollingIntervalSec: 0.2 });
    const pauseUntil = Date.now() + 3_600_000;
    const paused = await host.handle('pause', { until: pauseUntil });
    expect(paused.schedule).toMatchObject({ active: false, source: 'force' });
    expect(paused.state).toBe('paused');
    const properties = await bed.client.workers.getRuntimeProperties({ worker: daemon.workerId });
    expect(properties.find((p) => p.key === 'force')?.value).toBe('off');

    const task = await enqueue('host-pause', 'print("after resume")\n');
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await statusOf(task)).toBe('queued');

    const resumed = await host.handle('resume', { force: false });
    expect(resumed.schedule.force).toBeNull();
    expect((await bed.client.workers.getRuntimeProperties({ worker: daemon.workerId })).some((p) => p.key === 'force')).toBe(false);
    await until(async () => (await statusOf(task)) === 'completed', 30_000, 'the task to run after resume');
  });

  it('drain finishes the running task and takes no new one; stop-one-task ends a task as stopped', async () => {
    await bed.client.queues.create({ name: 'host-drain' });
    const host = newHost();
    const daemon = await host.startDaemon({ queues: ['host-drain'], pollingIntervalSec: 0.2 });
    const long = await enqueue('host-drain', 'import time\nprint("working", flush=True)\ntime.sleep(60)\n');
    await until(async () => {
      const s = await host.snapshot();
      return s.running.some((t) => t.id === long && t.phase === 'run');
    }, 30_000, 'the long task to start');
    const stopped = await host.handle('stopTask', { taskId: long });
    expect(stopped.running.find((t) => t.id === long)?.stopping).toBe('aborted from Tray Agent');
    await until(async () => (await statusOf(long)) === 'stopped', 30_000, 'the stop');
    expect((await bed.client.tasks.getById(long)).status_reason).toBe('aborted from Tray Agent');
    await expect(host.handle('stopTask', { taskId: 'not-running-here' })).rejects.toThrow(/not running on this agent/);

    const first = await enqueue('host-drain', 'import time\nprint("draining", flush=True)\ntime.sleep(1.5)\n');
    await until(async () => (await statusOf(first)) === 'in_progress', 30_000, 'the next task to start');
    const second = await enqueue('host-drain', 'print("never")\n');
    const draining = await host.handle('drain', { cancel: false });
    expect(draining.drain.draining).toBe(true);
    await daemon.done;
    expect(await statusOf(first)).toBe('completed');
    expect(await statusOf(second)).toBe('queued');
    await bed.client.tasks.dequeue({ task: second });
  });

  it('the snapshot’s GPU list comes from nvidia-smi (the recorded H200 outputs), with history and processes', async () => {
    await bed.client.queues.create({ name: 'host-gpus' });
    const env = fakeNvidiaSmiEnv({ state: 'busy', baseEnv: { PATH: process.env['PATH'], HOME: bed.root } });
    const host = newHost({ env });
    await host.startDaemon({ queues: ['host-gpus'], gpus: '0', pollingIntervalSec: 0.2 });
    const events: string[] = [];
    const unsubscribe = host.subscribe((event) => events.push(event));
    const snapshot = await until(async () => {
      const s = await host.snapshot();
      return s.gpus.length > 0 && s.gpus[0]!.history.at.length > 0 ? s : null;
    }, 30_000, 'GPU samples');
    await until(() => events.includes('snapshot'), 30_000, 'a snapshot event');
    unsubscribe();
    const gpu = snapshot.gpus[0]!;
    expect(gpu.name).toMatch(/H200/);
    expect(gpu.memoryTotalMiB).toBeGreaterThan(100_000);
    expect(gpu.utilizationPct).not.toBeNull();
    expect(gpu.selected).toBe(true);
    expect(snapshot.gpus.filter((g) => g.selected).map((g) => g.index)).toEqual([0]);
    expect(gpu.processes.length).toBeGreaterThan(0);
    expect(gpu.processes[0]!.taskId).toBeNull(); // a foreign process: not a task of ours
  });

  it('queue, GPU and schedule choices are preferences applied as the last config layer', async () => {
    await bed.client.queues.create({ name: 'host-pref-a' });
    await bed.client.queues.create({ name: 'host-pref-b' });
    const preferences = memoryPreferences({ queues: ['host-pref-a'] });
    const host = newHost({ preferences });
    const first = await host.startDaemon({ queues: [], pollingIntervalSec: 0.2 });
    expect(first.queues.map((q) => q.name)).toEqual(['host-pref-a']);
    await host.handle('setQueues', { queues: ['host-pref-b', 'host-pref-a'], orderFairness: true });
    await first.done;
    const restarted = await until(() => host.daemons[0], 30_000, 'the restarted daemon');
    expect(restarted.queues.map((q) => q.name)).toEqual(['host-pref-b', 'host-pref-a']);
    expect(restarted.settings().orderFairness).toBe(true);
    await expect(host.handle('setSchedule', { uptime: ['25-26 MON'], downtime: null })).rejects.toThrow(/uptime/);
    const scheduled = await host.handle('setSchedule', { uptime: null, downtime: ['0-24 SUN-SAT'] });
    expect(preferences.value.downtime).toEqual(['0-24 SUN-SAT']);
    await until(async () => {
      const s = await host.snapshot();
      return s.schedule.downtime?.[0] === '0-24 SUN-SAT' && !s.schedule.active ? s : null;
    }, 30_000, 'the new schedule');
    expect(scheduled.preferences.queues).toEqual(['host-pref-b', 'host-pref-a']);
  });

  it('a daemon start that fails after taking its lock leaves no lock, no registry entry, no timer; a second start works', async () => {
    await bed.client.queues.create({ name: 'host-fail' });
    // The registry folder is a file: the start fails after the worker lock is taken.
    const state = join(bed.root, 'failing-state');
    await mkdir(state, { recursive: true });
    await writeFile(join(state, 'daemons'), 'in the way');
    const conf = join(bed.root, 'failing.conf');
    await writeFile(conf, `include "${bed.configFile}"\nagent.state_dir: "${state}"\n`);
    const host = new AgentHost({ version: 'test', configFile: conf, env: { PATH: process.env['PATH'], HOME: bed.root, CLEARML_WORKER_ID: 'fail-once' }, hostname: 'hostfail' });
    hosts.push(host);
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await expect(host.startDaemon({ queues: ['host-fail'] })).rejects.toThrow();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
    const { listLocalWorkers } = await import('../../src-main/engine/worker-identity/index.js');
    expect(await listLocalWorkers(state)).toEqual([]);
    expect((await bed.client.workers.getAll({ lastSeenSec: 0 })).some((w) => w.id === 'fail-once')).toBe(false);
    await import('node:fs/promises').then((fs) => fs.rm(join(state, 'daemons')));
    const second = await host.startDaemon({ queues: ['host-fail'] });
    expect(second.workerId).toBe('fail-once');
  });
});
