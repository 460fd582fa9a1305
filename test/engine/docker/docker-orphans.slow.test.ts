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
import { dockerSettingsFromConfig, findOrphanContainers, removeOrphanContainers } from '../../../src-main/engine/docker/index.js';
import type { TaskRunSettings } from '../../../src-main/engine/task-run/settings.js';

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

describe('orphan containers', () => {
  it('an agent killed mid-task leaves its container; the restarted agent finds and removes it', async () => {
    const { id: taskId } = await client.tasks.create({ name: 'orphan', type: 'training', script: { entry_point: 'long.py', binary: 'python3', diff: 'import time\nprint("long task", flush=True)\ntime.sleep(300)\n', requirements: { pip: '' } } } as never);
    const configFile = join(root, 'clearml.conf');
    await writeFile(configFile, `agent { default_docker.image: "${TEST_IMAGE}", default_docker.arguments: "--network none", venvs_cache.path: "", vcs_cache.path: "${join(root, 'vcs')}", docker_pip_cache: "${join(root, 'pip')}", docker_apt_cache: "${join(root, 'apt')}" }\n`);
    const env = { HOME: root, PATH: process.env['PATH'] };
    const { config } = await loadAgentConfig({ configFile, env, homeDir: root });
    const settings: TaskRunSettings = {
      workRoot: join(root, 'work'),
      spoolDir: join(root, 'spool'),
      vcsCacheDir: null,
      git: { forceSshProtocol: false, forceSshUser: 'git', translateSsh: true },
      environment: { ignoreRequestedPythonVersion: true, packageManager: 'pip', extraIndexUrls: [], extraPipInstallFlags: [], forceRepoRequirementsTxt: false, forceOriginalRequirements: false, systemSitePackages: false, venvsDir: join(root, 'venvs'), cache: null },
      baseEnv: env,
      gpuEnv: { NVIDIA_VISIBLE_DEVICES: 'none', CUDA_VISIBLE_DEVICES: '' },
      forceGitRootPythonPath: false,
      enableTaskEnv: false,
      suppressCarriageReturn: true,
      abortPollIntervalMs: 500,
      abortGraceMs: 1000,
      pingIntervalMs: 0,
      timeoutSec: 0,
      childConfig: {},
      secrets: [],
      standalone: false,
      skipPythonEnvInstall: false,
    };
    const inputFile = join(root, 'agent-input.json');
    await writeFile(inputFile, JSON.stringify({ server: { url: server.url, credentials: server.credentials }, taskId, workerId, settings, docker: dockerSettingsFromConfig(config, { baseEnv: env, homeDir: root }) }));
    const agent = spawn(process.execPath, ['--import', 'tsx', agentScript, inputFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    agent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    agent.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 90_000;
    while (!output.includes('long task') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(output).toContain('long task');
    const containerId = /CONTAINER ([0-9a-f]{64})/.exec(output)?.[1];
    agent.kill('SIGKILL');
    await new Promise((resolve) => agent.once('exit', resolve));

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
