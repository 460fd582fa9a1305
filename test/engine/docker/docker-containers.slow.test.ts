import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import { startTestServer, type TestServer } from '../../helpers/embedded-server.js';
import { TEST_IMAGE, labelledContainers, removeLabelledContainers, requireDockerTestBed } from '../../helpers/docker-test-bed.js';
import { createApiClient, type ApiClient } from '../../../src-main/engine/api/index.js';
import { loadAgentConfig } from '../../../src-main/engine/config/index.js';
import { startContainerProcess } from '../../../src-main/engine/docker/container-process.js';
import { countServiceContainers, dockerPhases, dockerSettingsFromConfig, findOrphanContainers, removeOrphanContainers, serviceWorkerId, stopServiceContainers, type DockerSettings } from '../../../src-main/engine/docker/index.js';
import { createTaskRunApi } from '../../../src-main/engine/task-run/api-adapter.js';
import { runTaskWithExecutor } from '../../helpers/docker-run-task.js';
import type { TaskRunSettings } from '../../../src-main/engine/task-run/settings.js';
import { taskRunSettings } from '../../helpers/task-run-settings.js';
import { pipEnvironmentSettings } from '../../helpers/environment-settings.js';
import { killAndWait } from '../../helpers/cli-process.js';

// An agent killed mid-task leaves its container running; the restarted agent finds it by its
// worker-id label and removes it (stop escalation, then remove).
let docker: Dockerode;
let server: TestServer;
let client: ApiClient;
let root: string;
const workerId = 'orphan-test:0';
const agentScript = fileURLToPath(new URL('../../helpers/docker-orphan-agent.ts', import.meta.url));

beforeAll(async () => {
  docker = await requireDockerTestBed();
  root = await mkdtemp(join(tmpdir(), 'tray-agent-docker-orphans-'));
  server = await startTestServer();
  client = createApiClient({ apiServer: server.url, credentials: server.credentials });
}, 120_000);

afterAll(async () => {
  if (docker) await removeLabelledContainers(docker, workerId);
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function modeSettings(): Promise<{ settings: TaskRunSettings; dockerMode: DockerSettings }> {
  const configFile = join(root, 'clearml.conf');
  await writeFile(configFile, `agent { default_docker.image: "${TEST_IMAGE}", default_docker.arguments: "--network none", venvs_cache.path: "", vcs_cache.path: "${join(root, 'vcs')}", docker_pip_cache: "${join(root, 'pip')}", docker_apt_cache: "${join(root, 'apt')}" }\n`);
  const env = { HOME: root, PATH: process.env['PATH'] };
  const { config } = await loadAgentConfig({ configFile, env, homeDir: root });
  const settings = taskRunSettings(root, {
    vcsCacheDir: null,
    environment: pipEnvironmentSettings(root, { ignoreRequestedPythonVersion: true }),
    baseEnv: env,
    abortPollIntervalMs: 500,
    abortGraceMs: 1000,
  });

  return { settings, dockerMode: dockerSettingsFromConfig(config, { baseEnv: env, homeDir: root }) };
}

describe('orphan containers', () => {
  it('an agent killed mid-task leaves its container; the restarted agent finds and removes it', async () => {
    const { id: taskId } = await client.tasks.create({ name: 'orphan', type: 'training', script: { entry_point: 'long.py', binary: 'python3', diff: 'import time\nprint("long task", flush=True)\ntime.sleep(300)\n', requirements: { pip: '' } } } as never);
    const { settings, dockerMode } = await modeSettings();
    const inputFile = join(root, 'agent-input.json');
    await writeFile(inputFile, JSON.stringify({ server: { url: server.url, credentials: server.credentials }, taskId, workerId, settings, docker: dockerMode }));
    const agent = spawn(process.execPath, ['--import', 'tsx', agentScript, inputFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    agent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    agent.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 90_000;
    while (!output.includes('long task') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(output).toContain('long task');
    const containerId = /CONTAINER ([0-9a-f]{64})/.exec(output)?.[1];
    await killAndWait(agent, 'SIGKILL');

    // The agent is gone; its container still runs.
    const left = await findOrphanContainers(docker, workerId, 'test');
    expect(left).toEqual([expect.objectContaining({ containerId, taskId, role: 'task', state: 'running' })]);
    // Another worker's containers are not ours to touch.
    expect(await findOrphanContainers(docker, 'someone-else:0', 'test')).toEqual([]);

    const removed = await removeOrphanContainers(docker, workerId, { graceMs: 1000, endpoint: 'test' });
    expect(removed.map((o) => o.containerId)).toEqual([containerId]);
    expect(await labelledContainers(docker, { workerId })).toEqual([]);
  });
});

describe('services in containers', () => {
  it('each service runs as its own worker, counted by its parent daemon, stopped with it', async () => {
    const daemonWorker = 'svc-daemon:0';
    const { settings, dockerMode } = await modeSettings();
    const logs: Record<string, string> = {};
    const runs = [];
    const ids: string[] = [];
    for (const name of ['svc-a', 'svc-b']) {
      const { id } = await client.tasks.create({ name, type: 'service', script: { entry_point: 'svc.py', binary: 'python3', diff: 'import os, time\nprint("service flag", os.environ.get("CLEARML_AGENT_SERVICE_TASK"), "worker", os.environ.get("CLEARML_WORKER_ID"), flush=True)\ntime.sleep(300)\n', requirements: { pip: '' } } } as never);
      ids.push(id);
      logs[id] = '';
      runs.push(
        runTaskWithExecutor({
          taskId: id,
          workerId: serviceWorkerId(daemonWorker, id),
          api: createTaskRunApi(client),
          settings,
          monitoring: true,
          echo: (text) => (logs[id] += text),
          executorPhases: ({ stopRequested, reportStatus }) => dockerPhases({ docker: dockerMode, stopRequested, reportStatus, role: 'service', parentWorkerId: daemonWorker }),
        }),
      );
    }
    const deadline = Date.now() + 120_000;
    while (!ids.every((id) => logs[id]!.includes('service flag')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (const id of ids) {
      expect(logs[id]).toContain(`service flag 1 worker ${daemonWorker}:service:${id}`);
      // venvs_cache.path is empty here: every container builds its own venv.
      expect(logs[id]).toContain('creating virtual environment /tray-agent/venv');
    }
    expect(await countServiceContainers(docker, daemonWorker, 'test')).toBe(2);
    expect(await countServiceContainers(docker, 'other-daemon:0', 'test')).toBe(0);
    expect((await stopServiceContainers(docker, daemonWorker, { graceMs: 1000, endpoint: 'test' })).sort()).toEqual([...ids].sort());
    await Promise.all(runs);
    expect(await countServiceContainers(docker, daemonWorker, 'test')).toBe(0);
    for (const id of ids) expect(await labelledContainers(docker, { taskId: id })).toEqual([]);
  });
});


function firstDifference(got: string, expected: string): string {
  if (got === expected) return 'none';
  let at = 0;
  while (at < got.length && at < expected.length && got[at] === expected[at]) at++;
  const show = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 20), at + 40).replace(/(.)\1{9,}/g, (run, c: string) => `${c}×${run.length}`));
  return `${got.length} bytes where ${expected.length} were expected; first difference at byte ${at}: got ${show(got)}, expected ${show(expected)}`;
}

describe('container output', () => {
  it('stdout and stderr are demultiplexed from the stream framing: every byte on its own stream, in order', async () => {
    // Large writes cross docker's frame boundaries; the markers interleave the two streams.
    const script = [
      'import sys, time',
      'for i in range(5):',
      '    sys.stdout.write("out %d %s\\n" % (i, "o" * 40000)); sys.stdout.flush(); time.sleep(0.05)',
      '    sys.stderr.write("err %d %s\\n" % (i, "e" * 30000)); sys.stderr.flush(); time.sleep(0.05)',
      'sys.exit(7)',
    ].join('\n');
    const container = await startContainerProcess(
      docker,
      { Image: TEST_IMAGE, Cmd: ['python3', '-c', script], Labels: { 'tray-agent.worker-id': workerId }, HostConfig: { NetworkMode: 'none', Init: true } },
      'test',
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    container.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    container.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const ended = Promise.all([new Promise((r) => container.stdout.on('end', r)), new Promise((r) => container.stderr.on('end', r))]);
    const exit = await container.exited;
    await ended;
    await container.remove();
    expect(exit.exitCode).toBe(7);
    const expectedOut = [0, 1, 2, 3, 4].map((i) => `out ${i} ${'o'.repeat(40000)}\n`).join('');
    const expectedErr = [0, 1, 2, 3, 4].map((i) => `err ${i} ${'e'.repeat(30000)}\n`).join('');
    // Compared whole; on a difference, where it starts (a 350 KB diff says nothing).
    expect(firstDifference(Buffer.concat(out).toString('utf8'), expectedOut)).toBe('none');
    expect(firstDifference(Buffer.concat(err).toString('utf8'), expectedErr)).toBe('none');
    expect(await labelledContainers(docker, { workerId })).toEqual([]);
  });
});
