import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { startPackageIndex, type PackageIndex } from '../helpers/package-index.js';
import { createPythonRepo } from '../helpers/python-repo.js';
import { writeAgentConfig } from '../helpers/agent-config.js';
import { runCliCaptured } from '../helpers/run-cli-captured.js';
import { TEST_IMAGE, requireDockerTestBed } from '../helpers/docker-test-bed.js';
import { createApiClient, type ApiClient } from '../../src-main/engine/api/index.js';

// `tray-agent build`: a venv into --target, and a docker image whose entry point runs the task
// against the server named at `docker run` — the real CLI, server, pip, git and dockerd.
let server: TestServer;
let index: PackageIndex;
let client: ApiClient;
let docker: Dockerode;
let root: string;
let configFile: string;
let repo: { url: string; commit: string };
const images: string[] = [];

beforeAll(async () => {
  docker = await requireDockerTestBed();
  root = await mkdtemp(join(tmpdir(), 'tray-agent-build-'));
  server = await startTestServer();
  index = await startPackageIndex();
  client = createApiClient({ apiServer: server.url, credentials: server.credentials });
  configFile = await writeAgentConfig(
    join(root, 'agent'),
    server,
    `skip_python_env_install: false
  package_manager.extra_pip_install_flags: ["--index-url", "${index.url}"]
  default_docker.image: "${TEST_IMAGE}"
  default_docker.arguments: "--network host"
  docker_pip_cache: "${join(root, 'pip-cache')}"
  docker_apt_cache: "${join(root, 'apt-cache')}"`,
  );
  repo = await createPythonRepo(root, 'project', {
    'src/train.py': 'import os, tray_beta\nprint("trained with beta", tray_beta.__version__, "task", os.environ.get("CLEARML_TASK_ID"), flush=True)\n',
  });
}, 300_000);

afterAll(async () => {
  for (const image of images) await docker?.getImage(image).remove({ force: true }).catch(() => undefined);
  await server?.close();
  await index?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function newTask(name: string): Promise<string> {
  const { id } = await client.tasks.create({
    name,
    type: 'training',
    script: { repository: repo.url, branch: 'main', entry_point: 'train.py', working_dir: 'src', binary: 'python3', requirements: { pip: 'tray-beta==1.0' } },
  } as never);
  return id;
}

async function runImage(image: string, env: string[]): Promise<{ code: number; output: string }> {
  const container = await docker.createContainer({ Image: image, Env: env, HostConfig: { NetworkMode: 'host' } });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    let output = '';
    stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return { code: StatusCode, output };
  } finally {
    await container.remove({ force: true });
  }
}

describe('tray-agent build', () => {
  it('venv mode: the checkout under <target>/task_repository, the venv at <target> with the requirements', async () => {
    const id = await newTask('build venv');
    const target = join(root, 'built-venv');
    const result = await runCliCaptured('--config-file', configFile, 'build', '--id', id, '--target', target);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(existsSync(join(target, 'pyvenv.cfg'))).toBe(true);
    expect(readFileSync(join(target, 'task_repository', 'project', 'src', 'train.py'), 'utf8')).toContain('trained with beta');
    expect(result.stdout).toMatch(/tray-beta==1\.0/);
    expect(result.stdout).toContain(`Virtual environment: ${target}`);
    expect(execFileSync(join(target, 'bin', 'python'), ['-c', 'import tray_beta; print(tray_beta.__version__)'], { encoding: 'utf8' }).trim()).toBe('1.0');
    // A build changes nothing on the task.
    expect((await client.tasks.getById(id)).status).toBe('created');
    const again = await runCliCaptured('--config-file', configFile, 'build', '--id', id, '--target', target);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds an environment/);
  });

  it('docker mode: the committed image runs the task to completion with credentials given at docker run, none inside', async () => {
    const id = await newTask('build docker');
    const target = `tray-agent-build-test:${id.slice(0, 12)}`;
    images.push(target);
    const result = await runCliCaptured('--config-file', configFile, 'build', '--id', id, '--docker', '--target', target, '--entry-point', 'reuse_task');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain(`Docker image ${target} built from ${TEST_IMAGE}`);
    const info = await docker.getImage(target).inspect();
    expect(info.Config.Entrypoint).toEqual(['/bin/sh', '/opt/tray-agent/entrypoint.sh']);
    expect(JSON.stringify(info.Config.Env)).not.toContain(server.credentials.secretKey);
    expect(JSON.stringify(info.Config.Env)).not.toContain(server.credentials.accessKey);
    expect(info.Config.Labels?.['tray-agent.worker-id']).toBe('');
    // Nothing in the image's files holds the secret either.
    const scan = await runImage(target, []).catch(() => ({ code: -1, output: '' }));
    expect(scan.output).toMatch(/set CLEARML_API_HOST and CLEARML_API_ACCESS_KEY/);
    const grep = await docker.createContainer({ Image: target, Entrypoint: ['sh', '-c', `grep -rl '${server.credentials.secretKey}' /opt /root /etc /tmp /tray-agent 2>/dev/null; echo scanned`] });
    const grepOut: string[] = [];
    const grepStream = await grep.attach({ stream: true, stdout: true, stderr: true });
    grepStream.on('data', (chunk: Buffer) => grepOut.push(chunk.toString('utf8')));
    await grep.start();
    await grep.wait();
    await grep.remove({ force: true });
    expect(grepOut.join('')).toContain('scanned');
    expect(grepOut.join('')).not.toMatch(/\/(opt|root|etc|tmp)\//);

    const ran = await runImage(target, [`CLEARML_API_HOST=${server.url}`, `CLEARML_API_ACCESS_KEY=${server.credentials.accessKey}`, `CLEARML_API_SECRET_KEY=${server.credentials.secretKey}`]);
    expect(ran.code, ran.output).toBe(0);
    expect(ran.output).toContain(`trained with beta 1.0 task ${id}`);
    const task = await client.tasks.getById(id);
    expect(task.status).toBe('completed');
    const { events } = await client.events.getTaskLog({ task: id, batchSize: 1000, navigateEarlier: false } as never);
    expect(events.map((e) => String(e.msg)).join('')).toContain('trained with beta 1.0');
  });

  it('docker mode with clone_task runs a clone and leaves the task as it was', async () => {
    const id = await newTask('build clone');
    const target = `tray-agent-build-test:clone-${id.slice(0, 8)}`;
    images.push(target);
    const result = await runCliCaptured('--config-file', configFile, 'build', '--id', id, '--docker', '--target', target, '--entry-point', 'clone_task');
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const ran = await runImage(target, [`CLEARML_API_HOST=${server.url}`, `CLEARML_API_ACCESS_KEY=${server.credentials.accessKey}`, `CLEARML_API_SECRET_KEY=${server.credentials.secretKey}`]);
    expect(ran.code, ran.output).toBe(0);
    const cloneId = /running clone ([0-9a-f]{32}) of task/.exec(ran.output)?.[1];
    expect(cloneId).toBeDefined();
    expect((await client.tasks.getById(cloneId!)).status).toBe('completed');
    expect((await client.tasks.getById(id)).status).toBe('created');
  });

  it('refuses bad input before anything is built', async () => {
    const id = await newTask('build bad');
    const noDocker = await runCliCaptured('--config-file', configFile, 'build', '--id', id, '--entry-point', 'reuse_task');
    expect(noDocker.code).toBe(2);
    expect(noDocker.stderr).toMatch(/--entry-point only applies to docker builds; add --docker/);
    const badPython = await runCliCaptured('--config-file', configFile, 'build', '--id', id, '--python-version', 'three');
    expect(badPython.code).toBe(2);
    expect(badPython.stderr).toMatch(/--python-version "three": expected X.Y/);
    const badEntry = await runCliCaptured('--config-file', configFile, 'build', '--id', id, '--docker', '--entry-point', 'bogus');
    expect(badEntry.code).toBe(2);
    process.env['CLEARML_AGENT_FORCE_UV'] = '1';
    try {
      const uv = await runCliCaptured('--config-file', configFile, 'build', '--id', id, '--target', join(root, 'uv-target'));
      expect(uv.code).toBe(2);
      expect(uv.stderr).toMatch(/build --target supports agent.package_manager.type pip; this agent uses uv/);
    } finally {
      delete process.env['CLEARML_AGENT_FORCE_UV'];
    }
  });
});
