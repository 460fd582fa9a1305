import { describe, expect, it } from 'vitest';
import { useAgentTestBed } from '../../helpers/agent-test-bed.js';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli } from '../../helpers/cli-process.js';
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

describe('daemon crash recovery (real processes)', () => {
  it('kill -9 of the daemon mid-task, then a restart reaps the orphaned task process and marks the task failed', async () => {
    await bed.client.queues.create({ name: 'crash-q' });
    const pidFile = join(bed.root, 'task.pid');
    const script = `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\nprint("working", flush=True)\ntime.sleep(120)\n`;
    const { id: taskId } = await bed.client.tasks.create({ name: 'crash test', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script } } as never);
    await bed.client.tasks.enqueue({ task: taskId, queueName: 'crash-q' });
    const env = { CLEARML_WORKER_ID: 'crash-worker', HOME: bed.root };
    const first = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'crash-q', '--polling-interval', '0.2'], { env });
    await until(async () => {
      try {
        return Number(await readFile(pidFile, 'utf8')) > 0;
      } catch {
        return false;
      }
    }, 60_000, `the task process to start (daemon output: ${first.output()})`);
    const taskPid = Number(await readFile(pidFile, 'utf8'));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(alive(taskPid)).toBe(true); // the task survived its daemon: an orphan

    const second = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'crash-q', '--polling-interval', '0.2'], { env });
    try {
      await until(() => !alive(taskPid), 30_000, `the orphan to be reaped (daemon output: ${second.output()})`);
      await until(async () => (await bed.client.tasks.getById(taskId)).status === 'failed', 15_000, 'the task to be marked failed');
      const task = await bed.client.tasks.getById(taskId);
      expect(task.status_reason).toMatch(/agent crashed while running it/);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
  });

  it('a daemon with another worker id reaps what a crashed daemon of this user left on the machine', async () => {
    await bed.client.queues.create({ name: 'crash-other-q' });
    await bed.client.queues.create({ name: 'crash-other-idle' });
    const pidFile = join(bed.root, 'task-other.pid');
    const script = `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\nprint("working", flush=True)\ntime.sleep(120)\n`;
    const { id: taskId } = await bed.client.tasks.create({ name: 'crash other', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script } } as never);
    await bed.client.tasks.enqueue({ task: taskId, queueName: 'crash-other-q' });
    const first = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'crash-other-q', '--polling-interval', '0.2'], { env: { CLEARML_WORKER_ID: 'crashed-one', HOME: bed.root } });
    await until(async () => {
      try {
        return Number(await readFile(pidFile, 'utf8')) > 0;
      } catch {
        return false;
      }
    }, 60_000, `the task process to start (daemon output: ${first.output()})`);
    const taskPid = Number(await readFile(pidFile, 'utf8'));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(alive(taskPid)).toBe(true);

    // Another daemon, another id, another queue: it still cleans up after the crashed one.
    const other = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'crash-other-idle', '--polling-interval', '0.2'], { env: { CLEARML_WORKER_ID: 'someone-else', HOME: bed.root } });
    try {
      await until(() => !alive(taskPid), 30_000, `the orphan to be reaped (daemon output: ${other.output()})`);
      await until(async () => (await bed.client.tasks.getById(taskId)).status === 'failed', 15_000, 'the task to be marked failed');
      expect((await bed.client.tasks.getById(taskId)).status_reason).toMatch(/agent crashed while running it/);
    } finally {
      other.kill('SIGTERM');
      await new Promise((r) => other.once('exit', r));
    }
  });
});
