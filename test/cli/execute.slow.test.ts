import { describe, expect, it } from 'vitest';
import { useAgentTestBed } from '../helpers/agent-test-bed.js';
import { runCliCaptured } from '../helpers/run-cli-captured.js';

// `tray-agent execute` end to end: the command line, the embedded server, real task processes.
const bed = useAgentTestBed('execute-cli');

async function task(script: string, queued = false): Promise<string> {
  const { id } = await bed.client.tasks.create({ name: 'execute test', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script } } as never);
  if (queued) await bed.client.tasks.enqueue({ task: id, queueName: 'execute-tests' });
  return id;
}

const execute = (...args: string[]) => runCliCaptured('--config-file', bed.configFile, 'execute', ...args);

describe('tray-agent execute', () => {
  it('runs the task, prints its output, completes it, exits 0', async () => {
    const id = await task('print("hello from execute")\n');
    const result = await execute('--id', id);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('hello from execute');
    expect((await bed.client.tasks.getById(id)).status).toBe('completed');
  });

  it("returns the task's exit code and marks it failed", async () => {
    const id = await task('import sys\nsys.exit(3)\n');
    const result = await execute('--id', id);
    expect(result.code).toBe(3);
    const after = await bed.client.tasks.getById(id);
    expect(after.status).toBe('failed');
    expect(after.status_reason).toBe('worker execution exit code 3');
  });

  it('--disable-monitoring runs without touching the task status', async () => {
    const id = await task('print("unmonitored")\n');
    const result = await execute('--id', id, '--disable-monitoring');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('unmonitored');
    expect((await bed.client.tasks.getById(id)).status).toBe('created');
  });

  it('--clone runs a clone and leaves the original alone', async () => {
    const id = await task('print("cloned run")\n');
    const result = await execute('--id', id, '--clone');
    expect(result.code).toBe(0);
    const cloneId = /→ ([0-9a-f]{32})/.exec(result.stdout)?.[1];
    expect(cloneId).toBeDefined();
    expect((await bed.client.tasks.getById(cloneId!)).status).toBe('completed');
    expect((await bed.client.tasks.getById(id)).status).toBe('created');
  });

  it('--timeout stops the task and marks it failed with the limit', async () => {
    const id = await task('import time\nprint("long", flush=True)\ntime.sleep(60)\n');
    const started = Date.now();
    const result = await execute('--id', id, '--timeout', '1');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.code).toBe(255);
    const after = await bed.client.tasks.getById(id);
    expect(after.status).toBe('failed');
    expect(after.status_reason).toBe('task exceeded its time limit of 1 s');
  });

  it('--full-monitoring registers a worker of its own for the run, reports the task, exits 0 even when the task fails', async () => {
    const id = await task('import sys, time\ntime.sleep(3.5)\nsys.exit(4)\n');
    const running = execute('--id', id, '--full-monitoring');
    const workerSuffix = `:${process.pid}`;
    let seen: { id: string; task?: unknown } | undefined;
    const end = Date.now() + 20_000;
    while (!seen?.task && Date.now() < end) {
      seen = (await bed.client.workers.getAll({ lastSeenSec: 0 })).find((w) => w.id.endsWith(workerSuffix)) as typeof seen;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(JSON.stringify(seen?.task)).toContain(id);
    const result = await running;
    expect(result.code).toBe(0);
    expect((await bed.client.tasks.getById(id)).status).toBe('failed');
    expect((await bed.client.workers.getAll({ lastSeenSec: 0 })).some((w) => w.id.endsWith(workerSuffix))).toBe(false);
  });

  it('--require-queue refuses a task that is not queued', async () => {
    const id = await task('print("should not run")\n');
    const result = await execute('--id', id, '--require-queue');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not queued/);
    expect(result.stdout).not.toContain('should not run');
  });

  it('bad input: unknown task id, bad --log-level, conflicting flags', async () => {
    const missing = await execute('--id', 'f'.repeat(32));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/f{32}/);
    const level = await execute('--id', 'x', '--log-level', 'LOUD');
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/--log-level <level>' argument 'LOUD' is invalid. expected one of DEBUG/);
    const both = await execute('--id', 'x', '--disable-monitoring', '--full-monitoring');
    expect(both.code).toBe(2);
  });
});
