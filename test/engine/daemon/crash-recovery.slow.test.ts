import { describe, expect, it } from 'vitest';
import { useAgentTestBed } from '../../helpers/agent-test-bed.js';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAndWait, spawnCli } from '../../helpers/cli-process.js';
import { until } from '../../helpers/until.js';

const bed = useAgentTestBed('crash');

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** A task on `queueName` whose process writes its pid to `pidFile`, then sleeps. */
async function enqueuePidWritingTask(queueName: string, name: string, pidFile: string): Promise<string> {
  const script = `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\nprint("working", flush=True)\ntime.sleep(120)\n`;
  const { id } = await bed.client.tasks.create({ name, type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script } } as never);
  await bed.client.tasks.enqueue({ task: id, queueName });
  return id;
}

function startDaemon(queueName: string, env: NodeJS.ProcessEnv) {
  return spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', queueName, '--polling-interval', '0.2'], { env });
}

/** Starts a daemon that runs the pid-writing task, then kills it with SIGKILL mid-task; the task's pid. */
async function crashDaemonMidTask(queueName: string, env: NodeJS.ProcessEnv, pidFile: string): Promise<number> {
  const daemon = startDaemon(queueName, env);
  await until(
    async () => {
      try {
        return Number(await readFile(pidFile, 'utf8')) > 0;
      } catch {
        return false;
      }
    },
    60_000,
    () => `the task process to start (daemon output: ${daemon.output()})`,
  );
  const taskPid = Number(await readFile(pidFile, 'utf8'));
  await killAndWait(daemon, 'SIGKILL');
  return taskPid;
}

/** The orphan gone and the task marked failed as a crash, while `daemon` runs. */
async function expectReapedAndFailed(taskPid: number, taskId: string, daemon: ReturnType<typeof spawnCli>): Promise<void> {
  await until(() => !alive(taskPid), 30_000, () => `the orphan to be reaped (daemon output: ${daemon.output()})`);
  await until(async () => (await bed.client.tasks.getById(taskId)).status === 'failed', 15_000, 'the task to be marked failed');
  expect((await bed.client.tasks.getById(taskId)).status_reason).toMatch(/agent crashed while running it/);
}

describe('daemon crash recovery (real processes)', () => {
  it('kill -9 of the daemon mid-task, then a restart reaps the orphaned task process and marks the task failed', async () => {
    await bed.client.queues.create({ name: 'crash-q' });
    const pidFile = join(bed.root, 'task.pid');
    const taskId = await enqueuePidWritingTask('crash-q', 'crash test', pidFile);
    const env = { CLEARML_WORKER_ID: 'crash-worker', HOME: bed.root };
    const taskPid = await crashDaemonMidTask('crash-q', env, pidFile);
    expect(alive(taskPid)).toBe(true); // the task survived its daemon: an orphan

    const second = startDaemon('crash-q', env);
    try {
      await expectReapedAndFailed(taskPid, taskId, second);
    } finally {
      await killAndWait(second, 'SIGTERM');
    }
  });

  it('a daemon with another worker id reaps what a crashed daemon of this user left on the machine', async () => {
    await bed.client.queues.create({ name: 'crash-other-q' });
    await bed.client.queues.create({ name: 'crash-other-idle' });
    const pidFile = join(bed.root, 'task-other.pid');
    const taskId = await enqueuePidWritingTask('crash-other-q', 'crash other', pidFile);
    const taskPid = await crashDaemonMidTask('crash-other-q', { CLEARML_WORKER_ID: 'crashed-one', HOME: bed.root }, pidFile);
    expect(alive(taskPid)).toBe(true);

    // Another daemon, another id, another queue: it still cleans up after the crashed one.
    const other = startDaemon('crash-other-idle', { CLEARML_WORKER_ID: 'someone-else', HOME: bed.root });
    try {
      await expectReapedAndFailed(taskPid, taskId, other);
    } finally {
      await killAndWait(other, 'SIGTERM');
    }
  });
});
