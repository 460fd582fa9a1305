import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useAgentTestBed } from '../../helpers/agent-test-bed.js';
import { requireDockerTestBed, labelledContainers, removeLabelledContainers, TEST_IMAGE } from '../../helpers/docker-test-bed.js';
import { runCliCaptured } from '../../helpers/run-cli-captured.js';
import { killAndWait, spawnCli } from '../../helpers/cli-process.js';
import { startDaemon, type DaemonHandle } from '../../../src-main/engine/daemon/start-daemon.js';
import type Dockerode from 'dockerode';

// Docker mode through the daemon and `execute` (the executor seam), against the real dockerd:
// the venv-less test image (python3 only), no package index, so the container needs no network.
const bed = useAgentTestBed('docker-daemon', 'default_docker.image: "tray-agent-test:bookworm"');
let docker: Dockerode;
const handles: DaemonHandle[] = [];

beforeAll(async () => {
  docker = await requireDockerTestBed();
});

afterEach(async () => {
  for (const handle of handles.splice(0)) {
    handle.stop();
    await handle.done;
  }
});

async function enqueue(queueName: string, script: string): Promise<string> {
  const { id } = await bed.client.tasks.create({ name: 'docker daemon', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script, requirements: { pip: '' } } } as never);
  await bed.client.tasks.enqueue({ task: id, queueName });
  return id;
}

async function waitForStatus(taskId: string, statuses: string[], timeoutMs = 120_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const task = await bed.client.tasks.getById(taskId);
    if (statuses.includes(String(task.status))) return String(task.status);
    if (Date.now() > end) throw new Error(`task ${taskId} is ${task.status}, expected ${statuses.join('/')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function logText(taskId: string): Promise<string> {
  const { events } = await bed.client.events.getTaskLog({ task: taskId, batchSize: 10_000, navigateEarlier: false } as never);
  return events.map((e) => String(e.msg ?? '')).join('');
}

function daemon(queue: string, workerId: string, extra: { servicesMode?: number } = {}): Promise<DaemonHandle> {
  return startDaemon({
    flags: { queues: [queue], configFile: bed.configFile, pollingIntervalSec: 0.2, docker: { image: null, args: [] }, ...(extra.servicesMode ? { servicesMode: extra.servicesMode } : {}) },
    log: () => undefined,
    env: { PATH: process.env['PATH'], HOME: bed.root, CLEARML_WORKER_ID: workerId },
  }).then((handle) => {
    handles.push(handle);
    return handle;
  });
}

describe('docker mode through the daemon and execute (real dockerd)', () => {
  it('daemon --docker runs each task in a container of the default image, writes the image back, leaves no container', async () => {
    await bed.client.queues.create({ name: 'docker-daemon-q' });
    const task = await enqueue('docker-daemon-q', 'import os\nprint("inside", os.path.exists("/.dockerenv"), flush=True)\n');
    const handle = await daemon('docker-daemon-q', 'docker-daemon-worker');
    await waitForStatus(task, ['completed']);
    expect(await logText(task)).toContain('inside True');
    expect((await bed.client.tasks.getById(task)).container?.image).toBe(TEST_IMAGE);
    expect(await labelledContainers(docker, { workerId: handle.workerId })).toHaveLength(0);
  });

  it('services mode with --docker: at most N service containers at once, each its own worker, unregistered when done', async () => {
    await bed.client.queues.create({ name: 'docker-services-q' });
    const script = 'import time\nprint("service up", flush=True)\ntime.sleep(3)\n';
    const ids = [await enqueue('docker-services-q', script), await enqueue('docker-services-q', script), await enqueue('docker-services-q', script)];
    const handle = await daemon('docker-services-q', 'docker-services-worker', { servicesMode: 2 });
    await waitForStatus(ids[0]!, ['in_progress']);
    await waitForStatus(ids[1]!, ['in_progress']);
    expect((await bed.client.tasks.getById(ids[2]!)).status).toBe('queued');
    const workers = (await bed.client.workers.getAll({ lastSeenSec: 0 })).map((w) => w.id);
    expect(workers).toEqual(expect.arrayContaining([`${handle.workerId}:service:${ids[0]}`, `${handle.workerId}:service:${ids[1]}`]));
    for (const id of ids) await waitForStatus(id, ['completed']);
    const after = (await bed.client.workers.getAll({ lastSeenSec: 0 })).map((w) => w.id);
    for (const id of ids) expect(after).not.toContain(`${handle.workerId}:service:${id}`);
  });

  it('execute --docker runs the task in a container and returns its exit code', async () => {
    const { id } = await bed.client.tasks.create({ name: 'execute docker', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: 'import os, sys\nprint("in container", os.path.exists("/.dockerenv"))\nsys.exit(3)\n', requirements: { pip: '' } } } as never);
    const result = await runCliCaptured('--config-file', bed.configFile, 'execute', '--id', id, '--docker', TEST_IMAGE);
    expect(result.stdout).toContain("in container True");
    expect(result.code).toBe(3);
    expect((await bed.client.tasks.getById(id)).status).toBe('failed');
  });

  it('a daemon killed mid-task: the next start removes its container and marks the task failed', async () => {
    await bed.client.queues.create({ name: 'docker-crash-q' });
    const task = await enqueue('docker-crash-q', 'import time\nprint("working", flush=True)\ntime.sleep(120)\n');
    const env = { HOME: bed.root, CLEARML_WORKER_ID: 'docker-crash-worker' };
    const args = ['--config-file', bed.configFile, 'daemon', '--queue', 'docker-crash-q', '--docker', '--polling-interval', '0.2'];
    const first = spawnCli(args, { env });
    try {
      await waitForStatus(task, ['in_progress']);
      const end = Date.now() + 120_000;
      while ((await labelledContainers(docker, { workerId: 'docker-crash-worker' })).length === 0) {
        if (Date.now() > end) throw new Error(`no container appeared (${first.output()})`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await killAndWait(first, 'SIGKILL');
      expect(await labelledContainers(docker, { workerId: 'docker-crash-worker' })).toHaveLength(1);
      const second = spawnCli(args, { env });
      try {
        await waitForStatus(task, ['failed'], 60_000);
        expect((await bed.client.tasks.getById(task)).status_reason).toMatch(/agent crashed while running it/);
        const gone = Date.now() + 30_000;
        while ((await labelledContainers(docker, { workerId: 'docker-crash-worker' })).length > 0) {
          if (Date.now() > gone) throw new Error(`the orphan container was not removed (${second.output()})`);
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        await killAndWait(second, 'SIGTERM');
      }
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
      await removeLabelledContainers(docker, 'docker-crash-worker');
    }
  });
});
