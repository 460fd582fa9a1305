import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { startTestServer, type TestServer } from '../../helpers/embedded-server.js';
import { startPackageIndex, isolatedPipEnv, writeLocalPythonProject, type PackageIndex } from '../../helpers/package-index.js';
import { createPythonRepo } from '../../helpers/python-repo.js';
import { TEST_IMAGE, derivedTestImage, labelledContainers, removeLabelledContainers, requireDockerTestBed } from '../../helpers/docker-test-bed.js';
import { runTaskWithExecutor } from '../../helpers/docker-run-task.js';
import { createApiClient, type ApiClient } from '../../../src-main/engine/api/index.js';
import { createTaskRunApi } from '../../../src-main/engine/task-run/api-adapter.js';
import type { TaskRunSettings } from '../../../src-main/engine/task-run/settings.js';
import { loadAgentConfig } from '../../../src-main/engine/config/index.js';
import { createDockerTaskApi, dockerPhases, dockerSettingsFromConfig, type DockerSettings } from '../../../src-main/engine/docker/index.js';
import { until } from '../../helpers/until.js';
import { taskRunSettings, childConfigFor } from '../../helpers/task-run-settings.js';
import { pipEnvironmentSettings } from '../../helpers/environment-settings.js';

// Docker mode end to end against real parts: dockerd (vfs, no bridge), the test image, the
// embedded server over HTTP, a git repository, pip installing inside the container from a
// package index on 127.0.0.1 (reachable with --network host).
let server: TestServer;
let index: PackageIndex;
let root: string;
let client: ApiClient;
let docker: Dockerode;
let repo: { url: string; commit: string };
let taskImage: string;
const workerId = 'docker-test:0';

async function dockerSettings(agentConf: string, env: Record<string, string | undefined> = {}): Promise<DockerSettings> {
  const configFile = join(root, `clearml-${Math.random().toString(36).slice(2)}.conf`);
  await writeFile(configFile, `agent {\n  default_docker.image: "${TEST_IMAGE}"\n  default_docker.arguments: "--network host"\n  venvs_cache.path: "${join(root, 'venvs-cache')}"\n  docker_pip_cache: "${join(root, 'pip-cache')}"\n  docker_apt_cache: "${join(root, 'apt-cache')}"\n  vcs_cache.path: "${join(root, 'vcs-cache')}"\n  ${agentConf}\n}\n`);
  const fullEnv = { HOME: root, PATH: process.env['PATH'], ...env };
  const { config } = await loadAgentConfig({ configFile, env: fullEnv, homeDir: root });
  return dockerSettingsFromConfig(config, { baseEnv: fullEnv, homeDir: root });
}

function settings(overrides: Partial<TaskRunSettings> = {}): TaskRunSettings {
  return taskRunSettings(root, {
    environment: pipEnvironmentSettings(root, { extraPipInstallFlags: ['--index-url', index.url] }),
    baseEnv: { ...isolatedPipEnv(), HOME: root },
    abortGraceMs: 4000,
    childConfig: childConfigFor(server),
    secrets: [server.credentials.secretKey],
    ...overrides,
  });
}

async function createTask(fields: Record<string, unknown>): Promise<string> {
  const { id } = await client.tasks.create({ name: 'docker test', type: 'training', ...fields } as never);
  await client.tasks.enqueue({ task: id, queueName: 'docker-tests' });
  await client.queues.getNextTask({ queue: await client.queues.resolveId('docker-tests') });
  return id;
}

function run(taskId: string, mode: DockerSettings, runSettings: TaskRunSettings = settings()) {
  return runTaskWithExecutor({
    taskId,
    workerId,
    api: createTaskRunApi(client),
    settings: runSettings,
    monitoring: true,
    executorPhases: ({ stopRequested, reportStatus }) =>
      dockerPhases({ docker: mode, stopRequested, reportStatus, writeBackContainer: createDockerTaskApi(client).writeBackContainer }),
  });
}

async function logEvents(taskId: string): Promise<Array<{ msg: string; level: string }>> {
  const { events } = await client.events.getTaskLog({ task: taskId, batchSize: 10_000, navigateEarlier: false } as never);
  return events.map((e) => ({ msg: String(e.msg ?? ''), level: String((e as { level?: string }).level ?? '') }));
}

async function logText(taskId: string): Promise<string> {
  return (await logEvents(taskId)).map((e) => e.msg).join('');
}

beforeAll(async () => {
  docker = await requireDockerTestBed();
  root = await mkdtemp(join(tmpdir(), 'tray-agent-docker-'));
  server = await startTestServer();
  index = await startPackageIndex();
  client = createApiClient({ apiServer: server.url, credentials: server.credentials, maxRetries: 8, retryBaseDelayMs: 100, retryMaxDelayMs: 1_000 });
  taskImage = await derivedTestImage(docker, 'task-chosen', 'the task-chosen image');
  await mkdir(join(root, '.ssh'), { recursive: true, mode: 0o700 });
  await writeFile(join(root, '.ssh', 'config'), 'Host example\n  User tray\n', { mode: 0o600 });
  repo = await createPythonRepo(root, 'project', {
    'train.py': [
      'import os, sys, time',
      'import tray_beta',
      'print("beta", tray_beta.__version__, "python", sys.version_info[:2], flush=True)',
      'print("task", os.environ["CLEARML_TASK_ID"], "image", os.environ["CLEARML_DOCKER_IMAGE"], flush=True)',
      'print("gpu env", os.environ.get("NVIDIA_VISIBLE_DEVICES"), repr(os.environ.get("CUDA_VISIBLE_DEVICES")), flush=True)',
      'print("ssh config", open(os.path.expanduser("~/.ssh/config")).read().split()[1] if os.path.exists(os.path.expanduser("~/.ssh/config")) else None, flush=True)',
      'print("secret env", "present" if os.environ.get("AWS_SECRET_ACCESS_KEY") else "absent", flush=True)',
      'print("marker", open("/etc/tray-agent-test-marker").read().strip() if os.path.exists("/etc/tray-agent-test-marker") else None, flush=True)',
      'for i in range(3):',
      '    print("out", i, flush=True); time.sleep(0.3)',
      '    print("err", i, file=sys.stderr, flush=True); time.sleep(0.3)',
      'print("done", flush=True)',
      '',
    ].join('\n'),
  });
}, 600_000);

afterAll(async () => {
  if (docker) await removeLabelledContainers(docker, workerId);
  await server?.close();
  await index?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('docker mode (real dockerd)', () => {
  it('runs a task in the default image: venv built inside from the local index, output split, image written back, secrets masked', async () => {
    const mode = await dockerSettings('extra_docker_arguments: ["-e", "AWS_SECRET_ACCESS_KEY=do-not-print-me-123", "-e", "MY_SERVICE_TOKEN=also-hidden-4567"]');
    const taskId = await createTask({
      script: { repository: repo.url, branch: 'main', entry_point: 'train.py', working_dir: '.', binary: 'python3', requirements: { pip: 'tray-beta==1.0' } },
      // No image: the default runs (and is written back); the setup script still runs.
      container: { image: '', arguments: '', setup_shell_script: 'echo setup script ran' },
    });
    const result = await run(taskId, mode);
    const events = await logEvents(taskId);
    const log = events.map((e) => e.msg).join('');
    expect(result.finalStatus.call, log).toBe('completed');
    expect(log).toContain('beta 1.0 python (3, 11)');
    expect(log).toContain(`task ${taskId} image ${TEST_IMAGE}`);
    expect(log).toContain("gpu env none ''");
    expect(log).toContain('ssh config example');
    expect(log).toContain('installing requirements');
    expect(log).toContain('setup script ran');
    // The admin's -e switches reach the task, and are never printed.
    expect(log).toContain('secret env present');
    expect(log).toMatch(/Executing: docker run --init --rm .*-e 'AWS_SECRET_ACCESS_KEY=\*{8}' -e 'MY_SERVICE_TOKEN=\*{8}'/);
    expect(log).not.toContain('do-not-print-me-123');
    expect(log).not.toContain('also-hidden-4567');
    expect(log).not.toContain(server.credentials.secretKey);
    // Both streams reach the task log; lines written 0.3 s apart arrive in the order written
    // (the exact split into stdout and stderr is checked on the container process itself).
    const lines = events.flatMap((e) => e.msg.split('\n').map((text) => text.trim())).filter((text) => /^(out|err) \d$/.test(text));
    expect(lines).toEqual(['out 0', 'err 0', 'out 1', 'err 1', 'out 2', 'err 2']);
    const task = await client.tasks.getById(taskId);
    expect(task.status).toBe('completed');
    expect(task.container).toMatchObject({ image: TEST_IMAGE, arguments: '--network host' });
    expect((task.script?.requirements as { pip?: string }).pip).toMatch(/tray-beta==1\.0/);
    expect(await labelledContainers(docker, { taskId })).toEqual([]);
  });

  it('a second run of the same task in the same image installs nothing, and runs offline (--network none)', async () => {
    const before = index.requestCount();
    const mode = await dockerSettings('default_docker.arguments: "--network none"');
    const taskId = await createTask({
      script: { repository: repo.url, branch: 'main', entry_point: 'train.py', binary: 'python3', requirements: { pip: 'tray-beta==1.0' } },
    });
    const result = await run(taskId, mode);
    const log = await logText(taskId);
    expect(result.finalStatus.call, log).toBe('completed');
    expect(log).toContain('reusing cached environment');
    expect(log).not.toContain('installing requirements');
    expect(log).not.toMatch(/Successfully installed/);
    expect(index.requestCount()).toBe(before);
    expect(log).toContain('beta 1.0');
  });

  it("runs in the task's own image when the task names one", async () => {
    const mode = await dockerSettings('');
    const taskId = await createTask({
      script: { repository: repo.url, branch: 'main', entry_point: 'train.py', binary: 'python3', requirements: { pip: 'tray-beta==1.0' } },
      container: { image: taskImage, arguments: '--network host' },
    });
    const result = await run(taskId, mode);
    const log = await logText(taskId);
    expect(result.finalStatus.call, log).toBe('completed');
    expect(log).toContain('marker the task-chosen image');
    expect(log).toContain(`image ${taskImage}`);
    // Its own venv: another image is another key.
    expect(log).toContain('installing requirements');
    expect((await client.tasks.getById(taskId)).container).toMatchObject({ image: taskImage });
  });

  it('runs a task with no requirements with --network none', async () => {
    const mode = await dockerSettings('default_docker.arguments: "--network none"');
    const taskId = await createTask({ script: { entry_point: 'hello.py', binary: 'python3', diff: 'print("hello from", __import__("os").getcwd())\n', requirements: { pip: '' } } });
    const result = await run(taskId, mode);
    const log = await logText(taskId);
    expect(result.finalStatus.call, log).toBe('completed');
    expect(log).toContain('hello from /tray-agent/code');
  });

  it('refuses a task asking for --privileged when the filters forbid it, before any container exists', async () => {
    const mode = await dockerSettings('docker_args_filters: ["^--network", "^-e"]');
    const taskId = await createTask({
      script: { entry_point: 'hello.py', binary: 'python3', diff: 'print("must not run")\n', requirements: { pip: '' } },
      container: { image: TEST_IMAGE, arguments: '--network host --privileged' },
    });
    const result = await run(taskId, mode);
    expect(result.finalStatus.call).toBe('failed');
    const task = await client.tasks.getById(taskId);
    expect(task.status_reason).toBe('docker arguments not allowed');
    const log = await logText(taskId);
    expect(log).toMatch(/"--privileged" are not allowed on this agent \(agent\.docker_args_filters/);
    expect(log).not.toContain('must not run');
    expect(await labelledContainers(docker, { taskId })).toEqual([]);
  });

  it('aborts: SIGINT reaches the task inside (its finally block runs), then the container is removed, within the grace', async () => {
    const mode = await dockerSettings('default_docker.arguments: "--network none"');
    const script = ['import time', 'print("started", flush=True)', 'try:', '    time.sleep(120)', 'finally:', '    print("finally ran", flush=True)', ''].join('\n');
    const taskId = await createTask({ script: { entry_point: 'sleeper.py', binary: 'python3', diff: script, requirements: { pip: '' } } });
    const runSettings = settings({ abortGraceMs: 4000 });
    const done = run(taskId, mode, runSettings);
    await until(async () => (await logText(taskId)).includes('started'), 60_000);
    expect(await labelledContainers(docker, { taskId })).toHaveLength(1);
    const stoppedAt = Date.now();
    await client.tasks.stop({ task: taskId });
    const result = await done;
    const took = Date.now() - stoppedAt;
    expect(result.finalStatus.call).toBe('stopped');
    expect((await client.tasks.getById(taskId)).status).toBe('stopped');
    expect(await logText(taskId)).toContain('finally ran');
    expect(await labelledContainers(docker, { taskId })).toEqual([]);
    // abort poll (0.2 s) + the grace (4 s) bounds the stop; SIGINT ends this task at once.
    expect(took).toBeLessThan(runSettings.abortGraceMs + 3_000);
  });

  it('a task that ignores SIGINT and SIGTERM is killed at the end of the grace', async () => {
    const mode = await dockerSettings('default_docker.arguments: "--network none"');
    const script = ['import signal, time', 'signal.signal(signal.SIGINT, signal.SIG_IGN)', 'signal.signal(signal.SIGTERM, signal.SIG_IGN)', 'print("stubborn", flush=True)', 'time.sleep(120)', ''].join('\n');
    const taskId = await createTask({ script: { entry_point: 'stubborn.py', binary: 'python3', diff: script, requirements: { pip: '' } } });
    const runSettings = settings({ abortGraceMs: 2000 });
    const done = run(taskId, mode, runSettings);
    await until(async () => (await logText(taskId)).includes('stubborn'), 60_000);
    const stoppedAt = Date.now();
    await client.tasks.stop({ task: taskId });
    const result = await done;
    const took = Date.now() - stoppedAt;
    expect(result.finalStatus.call).toBe('stopped');
    expect(await logText(taskId)).toContain('did not exit within the grace period; killed');
    expect(took).toBeGreaterThanOrEqual(runSettings.abortGraceMs);
    expect(took).toBeLessThan(runSettings.abortGraceMs + 3_000);
    expect(await labelledContainers(docker, { taskId })).toEqual([]);
  });

  it('two containers needing the same new venv: one builds it, the other waits and reuses it', async () => {
    const mode = await dockerSettings(`venvs_cache.path: "${join(root, 'venvs-cache-concurrent')}"`);
    const ids = [];
    for (let i = 0; i < 2; i++) {
      ids.push(await createTask({ script: { entry_point: 'c.py', binary: 'python3', diff: 'import tray_alpha\nprint("alpha", tray_alpha.__version__)\n', requirements: { pip: 'tray-alpha==1.0' } } }));
    }
    const results = await Promise.all(ids.map((id) => run(id, mode)));
    expect(results.map((r) => r.finalStatus.call)).toEqual(['completed', 'completed']);
    const logs = await Promise.all(ids.map(logText));
    expect(logs.filter((log) => log.includes('installing requirements'))).toHaveLength(1);
    expect(logs.filter((log) => log.includes('reusing cached environment'))).toHaveLength(1);
    for (const log of logs) expect(log).toContain('alpha 1.0');
  });

  it('a requirement on a local path in the checkout installs from the container path, in a venv that is not cached', async () => {
    const mode = await dockerSettings('');
    const localRepo = await createPythonRepo(root, 'with-local', {
      'main.py': 'import tray_local\nprint("local", tray_local.__version__)\n',
      'placeholder.txt': 'x\n',
    });
    // The local project lives in the repository; the requirement names it by a relative path.
    const work = join(root, 'with-local-work');
    await writeLocalPythonProject(join(work, 'pkg'), 'tray_local', '0.7');
    const { execFileSync: git } = await import('node:child_process');
    const gitEnv = { ...process.env, HOME: root, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
    git('git', ['add', '-A'], { cwd: work, env: gitEnv });
    git('git', ['commit', '-qm', 'local package'], { cwd: work, env: gitEnv });
    git('git', ['push', '-q', localRepo.bareDir, 'main'], { cwd: work, env: gitEnv });
    const taskId = await createTask({ script: { repository: localRepo.url, branch: 'main', entry_point: 'main.py', binary: 'python3', requirements: { pip: './pkg' } } });
    const result = await run(taskId, mode);
    const log = await logText(taskId);
    expect(result.finalStatus.call, log).toBe('completed');
    expect(log).toContain('local 0.7');
    expect(log).toMatch(/Container environment not cached: /);
    expect(log).toContain('creating virtual environment /tray-agent/venv');
  });

  it('CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL: the image python as is, nothing installed', async () => {
    const mode = await dockerSettings('default_docker.arguments: "--network none"');
    const taskId = await createTask({ script: { entry_point: 'p.py', binary: 'python3', diff: 'import sys\nprint("prefix", sys.prefix)\n', requirements: { pip: 'tray-beta==1.0' } } });
    const result = await run(taskId, mode, settings({ skipPythonEnvInstall: true }));
    const log = await logText(taskId);
    expect(result.finalStatus.call, log).toBe('completed');
    expect(log).toContain('using the image python as is (nothing installed)');
    expect(log).toContain('prefix /usr');
  });

  it('names the fix when --network names a network the daemon does not have', async () => {
    const mode = await dockerSettings('');
    const taskId = await createTask({
      script: { entry_point: 'x.py', binary: 'python3', diff: 'print(1)\n', requirements: { pip: '' } },
      container: { image: TEST_IMAGE, arguments: '--network no-such-network' },
    });
    const result = await run(taskId, mode);
    expect(result.finalStatus.call).toBe('failed');
    expect((await client.tasks.getById(taskId)).status_reason).toBe('docker network not found');
    expect(await logText(taskId)).toMatch(/network no-such-network not found.*--network none or --network host/);
    expect(await labelledContainers(docker, { taskId })).toEqual([]);
  });

  it('agent.docker_force_pull pulls first; when the pull fails the local image is used, with a warning', async () => {
    const mode = await dockerSettings('docker_force_pull: true\n  default_docker.arguments: "--network none"');
    const taskId = await createTask({ script: { entry_point: 'x.py', binary: 'python3', diff: 'print("ran after the pull")\n', requirements: { pip: '' } } });
    const result = await run(taskId, mode);
    const log = await logText(taskId);
    expect(result.finalStatus.call, log).toBe('completed');
    expect(log).toContain(`Pulling docker image ${TEST_IMAGE} (agent.docker_force_pull)`);
    expect(log).toMatch(new RegExp(`WARNING: pulling ${TEST_IMAGE.replace(/[.:]/g, '\\$&')} failed \\(.*\\); using the local image`));
    expect(log).toContain('ran after the pull');
  });

  it('fails with what to do when the image is missing', async () => {
    const mode = await dockerSettings('default_docker.image: "tray-agent-no-such-image:none"');
    const taskId = await createTask({ script: { entry_point: 'x.py', binary: 'python3', diff: 'print(1)\n', requirements: { pip: '' } } });
    const result = await run(taskId, mode);
    expect(result.finalStatus.call).toBe('failed');
    expect((await client.tasks.getById(taskId)).status_reason).toBe('docker image not found');
    expect(await logText(taskId)).toMatch(/docker image "tray-agent-no-such-image:none" is not on this machine and could not be pulled .*Pull or load it first/);
  });

  it('fails with what to do when the docker daemon is not running', async () => {
    const mode = await dockerSettings('', { DOCKER_HOST: `unix://${join(root, 'no-dockerd.sock')}` });
    const taskId = await createTask({ script: { entry_point: 'x.py', binary: 'python3', diff: 'print(1)\n', requirements: { pip: '' } } });
    const result = await run(taskId, mode);
    expect(result.finalStatus.call).toBe('failed');
    expect((await client.tasks.getById(taskId)).status_reason).toBe('docker daemon not running');
    expect(await logText(taskId)).toMatch(/cannot reach the docker daemon at unix:\/\/.*no-dockerd\.sock \(ENOENT\).*Start it/);
  });

  it('names the fix when the docker socket refuses the user (a real unprivileged user against the real socket)', () => {
    const probe = fileURLToPath(new URL('../../helpers/docker-permission-probe.ts', import.meta.url));
    // The project's Node 22 lives under /root (0700); an unprivileged user runs the system's.
    const node = [process.execPath, '/usr/bin/node', '/usr/local/bin/node'].find((candidate) => {
      try {
        execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'env', 'HOME=/tmp', candidate, '--version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    });
    expect(node, 'a node binary the user nobody may run (setpriv from util-linux is needed too)').toBeDefined();
    const output = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'env', 'HOME=/tmp', 'DOCKER_HOST=', node!, '--import', 'tsx', probe], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
      reason: 'docker permission denied',
      message: expect.stringMatching(/permission denied on the docker socket unix:\/\/\/var\/run\/docker\.sock \(EACCES\).*usermod -aG docker/),
    });
  });

  it('a requirement that cannot be installed fails the task with the reason from inside the container', async () => {
    const mode = await dockerSettings('');
    const taskId = await createTask({ script: { entry_point: 'x.py', binary: 'python3', diff: 'print(1)\n', requirements: { pip: 'no-such-package-xyz==9.9' } } });
    const result = await run(taskId, mode);
    expect(result.finalStatus.call).toBe('failed');
    expect((await client.tasks.getById(taskId)).status_reason).toBe('failed installing requirements');
    expect(await logText(taskId)).toMatch(/no-such-package-xyz/);
  });
});

