import { describe, expect, it } from 'vitest';
import { useAgentTestBed } from '../helpers/agent-test-bed.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { exitOf, spawnCli } from '../helpers/cli-process.js';
import { runCliCaptured } from '../helpers/run-cli-captured.js';
import { until } from '../helpers/until.js';

// The daemon as users run it: a separate process, stopped and drained through the CLI.
const bed = useAgentTestBed('daemon-cli');

async function enqueue(queueName: string, script: string): Promise<string> {
  const { id } = await bed.client.tasks.create({ name: 'lifecycle', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script } } as never);
  await bed.client.tasks.enqueue({ task: id, queueName });
  return id;
}

const statusOf = async (id: string) => String((await bed.client.tasks.getById(id)).status);

describe('daemon lifecycle through the CLI', () => {
  it('daemon --stop --drain: the running task finishes, the next one stays queued, the daemon exits', async () => {
    await bed.client.queues.create({ name: 'drain-cli' });
    const running = await enqueue('drain-cli', 'import time\nprint("busy", flush=True)\ntime.sleep(2)\n');
    const waiting = await enqueue('drain-cli', 'print("never")\n');
    const env = { HOME: bed.root, CLEARML_WORKER_ID: 'drain-cli-worker' };
    const daemon = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'drain-cli', '--polling-interval', '0.2'], { env });
    const exited = exitOf(daemon);
    await until(async () => (await statusOf(running)) === 'in_progress', 60_000, `the first task to start (${daemon.output()})`);
    const stop = await runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'drain-cli', '--stop', 'drain-cli-worker', '--drain');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/drain-cli-worker .* is draining/);
    expect(await exited).toBe(0);
    expect(await statusOf(running)).toBe('completed');
    expect(await statusOf(waiting)).toBe('queued');
  });

  it('daemon --stop: the running task is stopped with reason "agent shutdown"', async () => {
    await bed.client.queues.create({ name: 'stop-cli' });
    const running = await enqueue('stop-cli', 'import time\nprint("busy", flush=True)\ntime.sleep(60)\n');
    const env = { HOME: bed.root, CLEARML_WORKER_ID: 'stop-cli-worker' };
    const daemon = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'stop-cli', '--polling-interval', '0.2'], { env });
    const exited = exitOf(daemon);
    await until(async () => (await statusOf(running)) === 'in_progress', 60_000, `the task to start (${daemon.output()})`);
    const stop = await runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'stop-cli', '--stop', 'stop-cli-worker');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/stop-cli-worker .* stopped/);
    await exited;
    const task = await bed.client.tasks.getById(running);
    expect(task.status).toBe('stopped');
    expect(task.status_reason).toBe('agent shutdown');
  });

  it('daemon --status prints per queue whether it would pull, and why', async () => {
    const off = await bed.client.queues.create({ name: 'status-off', tags: ['force_workers:off'] });
    await bed.client.queues.create({ name: 'status-on' });
    expect(off.id).toBeTruthy();
    const result = await runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'status-off', 'status-on', '--status', '--downtime', '0-24 SUN-SAT');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/queue status-off: PAUSED — queue tag force_workers:off/);
    expect(result.stdout).toMatch(/queue status-on: PAUSED — inside downtime/);
  });

  it('daemon --detached runs in the background with its log under the state dir; --stop ends it', async () => {
    await bed.client.queues.create({ name: 'detached-q' });
    const env = { HOME: bed.root, CLEARML_WORKER_ID: 'detached-worker' };
    const starter = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'detached-q', '--detached'], { env });
    expect(await exitOf(starter)).toBe(0);
    expect(starter.output()).toMatch(/running in the background \(pid \d+\)/);
    const logFile = /log file: (\S+)/.exec(starter.output())?.[1];
    expect(logFile).toContain(join(bed.root, 'agent', 'state', 'logs'));
    await until(async () => (await bed.client.workers.getAll({ lastSeenSec: 0 })).some((w) => w.id === 'detached-worker'), 30_000, 'the detached daemon to register');
    const stop = await runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'detached-q', '--stop', 'detached-worker');
    expect(stop.code).toBe(0);
    await until(async () => !(await bed.client.workers.getAll({ lastSeenSec: 0 })).some((w) => w.id === 'detached-worker'), 15_000, 'the daemon to unregister');
    expect(readFileSync(logFile!, 'utf8')).toMatch(/Worker detached-worker listening to queues detached-q/);
  });
});


/** Runs an in-process command with these environment variables set (and restores them). */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('daemon --stop finds exactly the daemon it means', () => {
  const workerNamed = async (id: string) => (await bed.client.workers.getAll({ lastSeenSec: 0 })).some((w) => w.id === id);

  it('two daemons started with the same flags: --stop stops neither, lists both, exits 2; --stop ID stops that one', async () => {
    await bed.client.queues.create({ name: 'twin-q' });
    const env = { HOME: bed.root, CLEARML_WORKER_NAME: 'twinhost' };
    const args = ['--config-file', bed.configFile, 'daemon', '--queue', 'twin-q', '--polling-interval', '0.2'];
    const first = spawnCli(args, { env });
    await until(() => workerNamed('twinhost:0'), 30_000, `the first daemon (${first.output()})`);
    const second = spawnCli(args, { env });
    await until(() => workerNamed('twinhost:1'), 30_000, `the second daemon (${second.output()})`);
    const firstExit = exitOf(first);
    const secondExit = exitOf(second);

    const ambiguous = await withEnv(env, () => runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'twin-q', '--stop'));
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/2 local daemons match these flags; none was stopped/);
    expect(ambiguous.stderr).toMatch(/twinhost:0 \(pid \d+/);
    expect(ambiguous.stderr).toMatch(/twinhost:1 \(pid \d+/);
    expect(ambiguous.stderr).toMatch(/tray-agent daemon --stop WORKER_ID/);
    expect(await workerNamed('twinhost:0')).toBe(true);
    expect(await workerNamed('twinhost:1')).toBe(true);

    const one = await withEnv(env, () => runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'twin-q', '--stop', 'twinhost:1'));
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/twinhost:1 .* stopped/);
    expect(await secondExit).toBe(0);
    expect(await workerNamed('twinhost:0')).toBe(true);
    // Now only one matches: the plain --stop means it.
    const rest = await withEnv(env, () => runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'twin-q', '--stop'));
    expect(rest.code).toBe(0);
    expect(await firstExit).toBe(0);
  });

  it('a --dynamic-gpus daemon is found by --stop and --status (host:dgpu0-1, not host:gpu0-1)', async () => {
    await bed.client.queues.create({ name: 'dyn-stop' });
    const env = { HOME: bed.root, CLEARML_WORKER_NAME: 'dynhost' };
    const flags = ['--dynamic-gpus', '--gpus', '0-1', '--queue', 'dyn-stop=1'];
    const daemon = spawnCli(['--config-file', bed.configFile, 'daemon', ...flags, '--polling-interval', '0.2'], { env });
    const exited = exitOf(daemon);
    await until(() => workerNamed('dynhost:dgpu0-1'), 30_000, `the dynamic daemon (${daemon.output()})`);
    const status = await withEnv(env, () => runCliCaptured('--config-file', bed.configFile, 'daemon', ...flags, '--status'));
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Worker dynhost:dgpu0-1 /m);
    const stop = await withEnv(env, () => runCliCaptured('--config-file', bed.configFile, 'daemon', ...flags, '--stop'));
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/dynhost:dgpu0-1 .* stopped/);
    expect(await exited).toBe(0);
  });

  it('stopping the daemon inside `up` leaves its embedded server running; Ctrl+C still ends `up`', async () => {
    const home = join(bed.root, 'up-home');
    const env = { HOME: home, CLEARML_CONFIG_FILE: '', CLEARML_WORKER_NAME: 'uphost' };
    const up = spawnCli(['up', '--no-sample', '--port', '0'], { env });
    const upExit = exitOf(up);
    await until(async () => /Daemon uphost:\d+ listens/.test(up.output()), 60_000, `up to start (${up.output()})`);
    const url = /embedded ClearML-compatible server at (http:\/\/\S+)/.exec(up.output())![1]!;
    const workerId = /Daemon (uphost:\d+) listens/.exec(up.output())![1]!;
    const stop = await withEnv(env, () => runCliCaptured('daemon', '--stop', workerId));
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`${workerId} .* stopped`));
    const info = await fetch(`${url}/server.info`);
    expect(info.ok).toBe(true);
    expect(up.exitCode).toBeNull();
    up.kill('SIGINT');
    expect(await upExit).toBe(0);
  });
});
