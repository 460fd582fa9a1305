import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../helpers/embedded-server.js';
import { startPackageIndex, isolatedPipEnv, type PackageIndex } from '../../helpers/package-index.js';
import { createPythonRepo } from '../../helpers/python-repo.js';
import { createApiClient, type ApiClient } from '../../../src-main/engine/api/index.js';
import { createTaskRunApi } from '../../../src-main/engine/task-run/api-adapter.js';
import { runTask, type RunTaskOptions } from '../../../src-main/engine/task-run/run-task.js';
import type { TaskRunSettings } from '../../../src-main/engine/task-run/settings.js';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startEmbeddedServer } from '../../../src-main/server/index.js';
import { until } from '../../helpers/until.js';
import { taskRunSettings, childConfigFor } from '../../helpers/task-run-settings.js';
import { environmentCache, pipEnvironmentSettings } from '../../helpers/environment-settings.js';

// The execute pipeline against real parts: the embedded server over HTTP, git repositories on
// disk, python venvs with pip installing from a package index served on 127.0.0.1.
let server: TestServer;
let index: PackageIndex;
let root: string;
let client: ApiClient;
let repo: { url: string; commit: string };
const secret = 'hunter2-super-secret-token';

function settings(overrides: Partial<TaskRunSettings> = {}): TaskRunSettings {
  return taskRunSettings(root, {
    environment: pipEnvironmentSettings(root, { ignoreRequestedPythonVersion: true, extraPipInstallFlags: ['--index-url', index.url], cache: environmentCache(join(root, 'venvs-cache')) }),
    baseEnv: { ...isolatedPipEnv(), HOME: root, MY_API_TOKEN: 'token-value-from-env-1234' },
    childConfig: childConfigFor(server),
    secrets: [secret, server.credentials.secretKey],
    ...overrides,
  });
}

async function createTask(fields: Record<string, unknown>): Promise<string> {
  const { id } = await client.tasks.create({ name: 'pipeline test', type: 'training', ...fields } as never);
  await client.tasks.enqueue({ task: id, queueName: 'pipeline-tests' });
  await client.queues.getNextTask({ queue: await client.queues.resolveId('pipeline-tests') });
  return id;
}

function run(taskId: string, extra: Partial<RunTaskOptions> = {}) {
  return runTask({ taskId, workerId: 'test-host:0', api: createTaskRunApi(client), settings: settings(), monitoring: true, ...extra });
}

async function logText(taskId: string): Promise<string> {
  const { events } = await client.events.getTaskLog({ task: taskId, batchSize: 10_000, navigateEarlier: false } as never);
  return events.map((e) => String(e.msg ?? '')).join('');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tray-agent-run-task-'));
  server = await startTestServer();
  index = await startPackageIndex();
  client = createApiClient({ apiServer: server.url, credentials: server.credentials, maxRetries: 8, retryBaseDelayMs: 100, retryMaxDelayMs: 1_000 });
  repo = await createPythonRepo(root, 'project', {
    'train.py': [
      'import os, sys',
      'import tray_beta',
      'print("argv", sys.argv[1:])',
      'print("task", os.environ["CLEARML_TASK_ID"], "logs-to-backend", os.environ["CLEARML_LOG_TASK_TO_BACKEND"])',
      `print("the secret is ${secret} and url https://user:pa55word@example.com/x")`,
      'print("env token", os.environ.get("MY_API_TOKEN"))',
      'print("config mode", oct(os.stat(os.environ["CLEARML_CONFIG_FILE"]).st_mode & 0o777))',
      'print("progress 1\\rprogress 2\\rprogress 3")',
      'print("done")',
      '',
    ].join('\n'),
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await index?.close();
  await rm(root, { recursive: true, force: true });
});

describe('runTask end to end (venv mode)', () => {
  it('checks out a pinned commit, installs from the local index, runs, ships the log redacted, completes', async () => {
    const taskId = await createTask({
      script: { repository: repo.url, branch: 'main', entry_point: 'train.py', working_dir: '.', binary: 'python3', requirements: { pip: 'tray-beta==1.0' } },
    });
    const result = await run(taskId);
    expect(result.finalStatus.call).toBe('completed');
    const task = await client.tasks.getById(taskId);
    expect(task.status).toBe('completed');
    expect(task.script?.version_num).toBe(repo.commit);
    const requirements = task.script?.requirements as { pip?: string; org_pip?: string };
    expect(requirements.pip).toMatch(/tray-alpha==2\.0/);
    expect(requirements.pip).toMatch(/tray-beta==1\.0/);
    const log = await logText(taskId);
    expect(log).toContain(`task ${taskId} logs-to-backend 0`);
    expect(log).toContain('config mode 0o600');
    expect(log).toContain('progress 3');
    expect(log).not.toContain('progress 1');
    expect(log).toContain('Process completed successfully');
    expect(log).toMatch(/Phase timings: start [\d.]+ s, workspace [\d.]+ s, environment [\d.]+ s, launch [\d.]+ s, run [\d.]+ s/);
    // Secrets never reach the server: config secrets, URL passwords, *_TOKEN env values.
    expect(log).not.toContain(secret);
    expect(log).not.toContain('pa55word');
    expect(log).not.toContain('token-value-from-env-1234');
    expect(log).not.toContain(server.credentials.secretKey);
  });

  it('reuses the cached environment for the same requirements (no index request)', async () => {
    const before = index.requestCount();
    const taskId = await createTask({
      script: { repository: repo.url, branch: 'main', entry_point: 'train.py', binary: 'python3', requirements: { pip: 'tray-beta==1.0' } },
    });
    const result = await run(taskId);
    expect(result.finalStatus.call).toBe('completed');
    expect(index.requestCount()).toBe(before);
    expect(await logText(taskId)).toContain('reused from cache');
  });

  it('fails with a clear reason when a requirement cannot be found', async () => {
    const taskId = await createTask({
      script: { repository: repo.url, entry_point: 'train.py', binary: 'python3', requirements: { pip: 'no-such-package-xyz==9.9' } },
    });
    const result = await run(taskId);
    expect(result.finalStatus.call).toBe('failed');
    const task = await client.tasks.getById(taskId);
    expect(task.status).toBe('failed');
    expect(task.status_reason).toMatch(/requirements/);
    expect(await logText(taskId)).toMatch(/no-such-package-xyz/);
  });

  it('fails when the uncommitted diff does not apply', async () => {
    const diff = ['diff --git a/nothere.py b/nothere.py', '--- a/nothere.py', '+++ b/nothere.py', '@@ -1 +1 @@', '-old line', '+new line', ''].join('\n');
    const taskId = await createTask({ script: { repository: repo.url, entry_point: 'train.py', binary: 'python3', diff, requirements: { pip: 'tray-beta==1.0' } } });
    const result = await run(taskId);
    expect(result.finalStatus.call).toBe('failed');
    expect((await client.tasks.getById(taskId)).status_reason).toMatch(/diff/i);
  });

  it('runs a literal script with recorded CLI args edited on a clone', async () => {
    const script = 'import sys\nprint("ARGS", sys.argv[1:])\n';
    const { id: templateId } = await client.tasks.create({
      name: 'cli args template',
      type: 'training',
      systemTags: ['tray-agent:cli-args'],
      script: { entry_point: 'job.py', binary: 'python3', diff: script, requirements: { pip: '' } },
      hyperparams: { Args: { _argv: { section: 'Args', name: '_argv', value: 'input.csv' }, lr: { section: 'Args', name: 'lr', value: '0.1' } } },
    } as never);
    const { id: cloneId } = await client.tasks.clone({ task: templateId, newTaskName: 'edited clone' });
    await client.tasks.editHyperParams({ task: cloneId, hyperparams: [{ section: 'Args', name: 'lr', value: '0.5' }] });
    const result = await run(cloneId);
    expect(result.finalStatus.call).toBe('completed');
    expect(await logText(cloneId)).toContain("ARGS ['input.csv', '--lr', '0.5']");
  });

  it('aborts a running task: SIGTERM to the whole group (grandchildren too), status stopped', async () => {
    const pidFile = join(root, 'grandchild.pid');
    const script = [
      'import subprocess, time',
      `p = subprocess.Popen(["sleep", "60"]); open(${JSON.stringify(pidFile)}, "w").write(str(p.pid))`,
      'print("started", flush=True)',
      'time.sleep(60)',
      '',
    ].join('\n');
    const taskId = await createTask({ script: { entry_point: 'sleeper.py', binary: 'python3', diff: script, requirements: { pip: '' } } });
    const done = run(taskId);
    await until(async () => (await logText(taskId)).includes('started'), 30_000);
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    await client.tasks.stop({ task: taskId });
    const result = await done;
    expect(result.finalStatus.call).toBe('stopped');
    const task = await client.tasks.getById(taskId);
    expect(task.status).toBe('stopped');
    expect(task.status_reason).toBe('task was stopped by tasks.stop');
    expect(processAlive(grandchild)).toBe(false);
  });

  it('abort of an SDK-like task that ignores SIGTERM: SIGINT first, its KeyboardInterrupt handler runs, tree gone within 1 s', async () => {
    const script = [
      'import signal, subprocess, time',
      'signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the ClearML SDK ignores SIGTERM',
      'child = subprocess.Popen(["sleep", "60"])',
      'print("started", flush=True)',
      'try:',
      '    time.sleep(60)',
      'except KeyboardInterrupt:',
      '    print("KeyboardInterrupt: saving a checkpoint", flush=True)',
      '',
    ].join('\n');
    const taskId = await createTask({ script: { entry_point: 'sdk_like.py', binary: 'python3', diff: script, requirements: { pip: '' } } });
    // The default grace (10 s): the task must be gone long before it.
    const done = runTask({ taskId, workerId: 'test-host:0', api: createTaskRunApi(client), settings: settings({ abortGraceMs: 10_000 }), monitoring: true });
    await until(async () => (await logText(taskId)).includes('started'), 30_000);
    const stopAsked = Date.now();
    await client.tasks.stop({ task: taskId });
    const result = await done;
    expect(Date.now() - stopAsked).toBeLessThan(1_000 + 200 + 500); // 1 s, plus the 0.2 s abort poll and shipping
    expect(result.finalStatus.call).toBe('stopped');
    const task = await client.tasks.getById(taskId);
    expect(task.status).toBe('stopped');
    expect(task.status_reason).toBe('task was stopped by tasks.stop');
    expect(await logText(taskId)).toContain('KeyboardInterrupt: saving a checkpoint');
  });

  it('a task that ignores SIGINT and SIGTERM is SIGKILLed at the end of the grace, and still ends stopped', async () => {
    const script = 'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("started", flush=True)\ntime.sleep(60)\n';
    const taskId = await createTask({ script: { entry_point: 'stubborn.py', binary: 'python3', diff: script, requirements: { pip: '' } } });
    const done = runTask({ taskId, workerId: 'test-host:0', api: createTaskRunApi(client), settings: settings({ abortGraceMs: 1_500 }), monitoring: true });
    await until(async () => (await logText(taskId)).includes('started'), 30_000);
    const stopAsked = Date.now();
    await client.tasks.stop({ task: taskId });
    const result = await done;
    expect(Date.now() - stopAsked).toBeGreaterThanOrEqual(1_500);
    expect(result.finalStatus.call).toBe('stopped');
    expect(await logText(taskId)).toMatch(/did not exit within the grace period; killed/);
  });

  it('aborts during environment setup (pip killed, task stopped)', async () => {
    const hang = await startHangingServer();
    try {
      const taskId = await createTask({
        script: { entry_point: 'x.py', binary: 'python3', diff: 'print(1)\n', requirements: { pip: `tray-slow @ ${hang.url}/tray_slow-1.0-py3-none-any.whl` } },
      });
      const done = run(taskId);
      await until(async () => hang.hits() > 0, 60_000);
      await client.tasks.stop({ task: taskId });
      const result = await done;
      expect(result.finalStatus.call).toBe('stopped');
      expect((await client.tasks.getById(taskId)).status).toBe('stopped');
    } finally {
      await hang.close();
    }
  });

  it('a pulled task stopped before it started is marked stopped "agent shutdown", never left in_progress', async () => {
    const taskId = await createTask({ script: { entry_point: 'x.py', binary: 'python3', diff: 'print(1)\n' } });
    await client.tasks.started({ task: taskId, force: true, statusMessage: 'pulled by agent' });
    const stop = new AbortController();
    stop.abort();
    const result = await run(taskId, { pulled: true, externalStop: { signal: stop.signal, reason: () => ({ kind: 'shutdown' }) } });
    expect(result.finalStatus.call).toBe('stopped');
    const task = await client.tasks.getById(taskId);
    expect(task.status).toBe('stopped');
    expect(task.status_reason).toBe('agent shutdown');
  });

  it('CLEARML_AGENT_SKIP_PIP_VENV_INSTALL=<python>: installs into that interpreter, no venv', async () => {
    const ownPython = join(root, 'own-env');
    execFileSync('python3', ['-m', 'venv', ownPython]);
    const python = join(ownPython, 'bin', 'python');
    const taskId = await createTask({
      script: { entry_point: 'x.py', binary: 'python3', diff: 'import sys, tray_alpha\nprint("ran with", sys.executable, tray_alpha.__version__)\n', requirements: { pip: 'tray-alpha==1.0' } },
    });
    const result = await runTask({ taskId, workerId: 'test-host:0', api: createTaskRunApi(client), settings: settings({ skipPipVenvInstall: python }), monitoring: true });
    expect(result.finalStatus.call).toBe('completed');
    expect(await logText(taskId)).toContain(`ran with ${python} 1.0`);
    expect(execFileSync(python, ['-c', 'import tray_alpha; print(tray_alpha.__version__)'], { encoding: 'utf8' }).trim()).toBe('1.0');
  });

  it('loses no log line when the server is killed and restarted mid-run', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tray-agent-restart-'));
    let own = await startEmbeddedServer({ port: 0, dataDir });
    const credentials = own.createdCredentials!;
    const port = own.port;
    const ownClient = createApiClient({ apiServer: own.url, credentials, maxRetries: 30, retryBaseDelayMs: 100, retryMaxDelayMs: 500 });
    const { id: taskId } = await ownClient.tasks.create({ name: 'restart test', type: 'training', script: { entry_point: 'count.py', binary: 'python3', diff: 'import time\nfor i in range(300):\n    print(f"line {i}", flush=True)\n    time.sleep(0.01)\n', requirements: { pip: '' } } } as never);
    const done = runTask({ taskId, workerId: 'test-host:1', api: createTaskRunApi(ownClient), settings: settings({ abortPollIntervalMs: 200 }), monitoring: true });
    await new Promise((r) => setTimeout(r, 1_200));
    await own.close();
    await new Promise((r) => setTimeout(r, 1_500));
    own = await startEmbeddedServer({ port, dataDir });
    const result = await done;
    expect(result.finalStatus.call).toBe('completed');
    const { events } = await ownClient.events.getTaskLog({ task: taskId, batchSize: 10_000, navigateEarlier: false } as never);
    const lines = events.flatMap((e) => String(e.msg).split('\n')).filter((l) => /^line \d+$/.test(l));
    expect(lines).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i}`));
    await own.close();
    await rm(dataDir, { recursive: true, force: true });
  });
});

/** Alive = exists and is not a zombie (orphans linger as zombies until init reaps them). */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** An HTTP server that accepts requests and never answers: a download that hangs forever. */
async function startHangingServer(): Promise<{ url: string; hits(): number; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  let hits = 0;
  const sockets = new Set<import('node:net').Socket>();
  const srv = createServer(() => {
    hits++;
  });
  srv.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}
