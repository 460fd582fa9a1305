import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useAgentTestBed } from '../helpers/agent-test-bed.js';
import { runCliCaptured } from '../helpers/run-cli-captured.js';
import { exitOf, killAndWait, spawnCli } from '../helpers/cli-process.js';
import { until } from '../helpers/until.js';

// Defects a new user hit (issue 12): secrets on terminals, an unquoted command line, bad task
// arguments blamed on the agent, the exit code of a bare `tray-agent`, silent --gpus.
const bed = useAgentTestBed('new-user');
const token = 'tok-9f8e7d6c5b4a-secret';

async function task(script: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { id } = await bed.client.tasks.create({ name: 'new user', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script }, ...extra } as never);
  return id;
}

const leakyScript = () => `import os\nprint("token=" + os.environ["MY_API_TOKEN"])\nprint("secret=${bed.server.credentials.secretKey}")\n`;

describe('secrets never reach a terminal', () => {
  it('execute: stdout and --log-file are redacted like the shipped log', async () => {
    const id = await task(leakyScript());
    const logFile = join(bed.root, 'execute.log');
    const child = spawnCli(['--config-file', bed.configFile, 'execute', '--id', id, '--log-file', logFile], { env: { HOME: bed.root, MY_API_TOKEN: token } });
    const code = await exitOf(child);
    expect(code).toBe(0);
    for (const text of [child.output(), await readFile(logFile, 'utf8')]) {
      expect(text).toContain('token=********');
      expect(text).toContain('secret=********');
      expect(text).not.toContain(token);
      expect(text).not.toContain(bed.server.credentials.secretKey);
    }
  });

  it('daemon --foreground: task output and daemon lines are redacted', async () => {
    await bed.client.queues.create({ name: 'foreground-q' });
    const id = await task(leakyScript());
    await bed.client.tasks.enqueue({ task: id, queueName: 'foreground-q' });
    const daemon = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'foreground-q', '--foreground', '--polling-interval', '0.2'], {
      env: { HOME: bed.root, MY_API_TOKEN: token, CLEARML_WORKER_ID: 'foreground-worker' },
    });
    try {
      await until(async () => (await bed.client.tasks.getById(id)).status === 'completed', 60_000, `the task (${daemon.output()})`);
      await until(() => daemon.output().includes('secret='), 10_000, 'the echoed output');
      expect(daemon.output()).toContain('token=********');
      expect(daemon.output()).not.toContain(token);
      expect(daemon.output()).not.toContain(bed.server.credentials.secretKey);
    } finally {
      await killAndWait(daemon, 'SIGTERM');
    }
  });

  it('task show masks a password in the repository URL; task logs masks secrets another agent shipped', async () => {
    const id = await task('print(1)\n', {});
    await bed.client.tasks.edit({ task: id, force: true, script: { repository: 'https://bob:pa55word-xyz@git.example.com/team/repo.git' } } as never);
    const show = await runCliCaptured('--config-file', bed.configFile, 'task', 'show', id);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('git.example.com/team/repo.git');
    expect(show.stdout).not.toContain('pa55word-xyz');
    await bed.client.events.addBatch([{ type: 'log', task: id, worker: 'other-agent', level: 'info', msg: `using key ${bed.server.credentials.secretKey}`, timestamp: Date.now() }] as never);
    const logs = await runCliCaptured('--config-file', bed.configFile, 'task', 'logs', id);
    expect(logs.stdout).toContain('using key ********');
    expect(logs.stdout).not.toContain(bed.server.credentials.secretKey);
  });
});

describe('smaller defects', () => {
  it('the "Starting Task Execution" line is shell-quoted', async () => {
    const { id } = await bed.client.tasks.create({ name: 'quoted', type: 'training', script: { entry_point: 'hello.py; touch x', binary: 'python3', diff: 'print(1)\n' } } as never);
    const result = await runCliCaptured('--config-file', bed.configFile, 'execute', '--id', id);
    // `hello.py;` is one argument: quoted for a shell, it cannot read as a second command.
    expect(result.stdout).toMatch(/Starting Task Execution: \S+ -u hello\.py\\; touch x /);
  });

  it('a task with bad recorded arguments fails with "invalid task arguments", not "agent error"', async () => {
    const { id } = await bed.client.tasks.create({
      name: 'bad args',
      type: 'training',
      systemTags: ['tray-agent:cli-args'],
      hyperparams: { Args: { _argv: { section: 'Args', name: '_argv', value: 'a | b', type: 'str' } } },
      script: { entry_point: 'job.py', binary: 'python3', diff: 'print(1)\n' },
    } as never);
    const result = await runCliCaptured('--config-file', bed.configFile, 'execute', '--id', id);
    expect(result.code).toBe(1);
    const after = await bed.client.tasks.getById(id);
    expect(after.status).toBe('failed');
    expect(after.status_reason).toBe('invalid task arguments');
  });

  it('tray-agent with no command prints the command list and exits 0, as clearml-agent', async () => {
    const result = await runCliCaptured();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Commands:/);
  });

  it('--gpus on a machine without nvidia-smi says so', async () => {
    await bed.client.queues.create({ name: 'nogpu-q' });
    const daemon = spawnCli(['--config-file', bed.configFile, 'daemon', '--queue', 'nogpu-q', '--gpus', '0'], {
      env: { HOME: bed.root, PATH: '/usr/bin:/bin', CLEARML_WORKER_ID: 'nogpu-worker' },
    });
    try {
      await until(() => /no nvidia-smi/.test(daemon.output()), 30_000, `the warning (${daemon.output()})`);
      expect(daemon.output()).toMatch(/GPUs were requested .* no nvidia-smi/);
    } finally {
      await killAndWait(daemon, 'SIGTERM');
    }
  });
});
