import { describe, expect, it } from 'vitest';
import { decideFinalStatus } from '../../../src-main/engine/task-run/final-status.js';
import { buildEntryCommand, EntryPointError } from '../../../src-main/engine/task-run/entry-command.js';
import { buildTaskEnv } from '../../../src-main/engine/task-run/task-env.js';
import { stopReasonFromStatus } from '../../../src-main/engine/task-run/abort-watcher.js';
import { CleanupStack } from '../../../src-main/engine/task-run/cleanup-stack.js';
import type { TaskRecord } from '../../../src-main/engine/task-run/task-record.js';

describe('decideFinalStatus (exit code → status, reference §4.10)', () => {
  it.each([
    [{ kind: 'exited', exitCode: 0, signal: null }, 'completed', 'worker execution done'],
    [{ kind: 'exited', exitCode: 3, signal: null }, 'failed', 'worker execution exit code 3'],
    [{ kind: 'exited', exitCode: 254, signal: null }, 'stopped', 'user abort'],
    [{ kind: 'exited', exitCode: null, signal: 'SIGINT' }, 'stopped', 'user abort'],
    [{ kind: 'exited', exitCode: null, signal: 'SIGSEGV' }, 'failed', 'worker execution exit code signal SIGSEGV'],
    [{ kind: 'stopped', reason: { kind: 'user-abort' } }, 'stopped', 'task was stopped by tasks.stop'],
    [{ kind: 'stopped', reason: { kind: 'shutdown' } }, 'stopped', 'agent shutdown'],
    [{ kind: 'stopped', reason: { kind: 'timeout', limitSec: 5 } }, 'failed', 'task exceeded its time limit of 5 s'],
    [{ kind: 'stopped', reason: { kind: 'status-changed', status: 'failed' } }, 'none', 'task status changed to failed'],
    [{ kind: 'stopped', reason: { kind: 'reset' } }, 'none', 'task was reset'],
    [{ kind: 'stopped', reason: { kind: 'not-found' } }, 'none', 'task no longer exists on the server'],
    [{ kind: 'setup-failed', reason: 'failed cloning repository', detail: 'x' }, 'failed', 'failed cloning repository'],
  ] as const)('%j → %s', (ending, call, reason) => {
    const status = decideFinalStatus(ending as never);
    expect(status.call).toBe(call);
    expect(status.statusReason).toBe(reason);
  });
});

const baseTask: TaskRecord = { id: 'a'.repeat(32), script: { binary: 'python3', entry_point: 'train.py' } };

describe('buildEntryCommand (reference §4.9)', () => {
  const common = { pythonExecutable: '/venv/bin/python', workingDir: '/w' };
  it('runs a script unbuffered', () => {
    expect(buildEntryCommand({ ...common, task: baseTask, entryPoint: 'train.py' })).toEqual({ command: '/venv/bin/python', args: ['-u', 'train.py'] });
  });
  it('runs a module with its args', () => {
    expect(buildEntryCommand({ ...common, task: baseTask, entryPoint: '-m pkg.mod --x 1' }).args).toEqual(['-u', '-m', 'pkg.mod', '--x', '1']);
  });
  it('adds -O flags', () => {
    expect(buildEntryCommand({ ...common, task: baseTask, entryPoint: 'a.py', optimizeLevel: 2 }).args).toEqual(['-u', '-OO', 'a.py']);
  });
  it('runs shell binaries with -c', () => {
    const task = { ...baseTask, script: { binary: '/bin/bash', entry_point: '-c echo hi' } };
    expect(buildEntryCommand({ ...common, task, entryPoint: '-c echo hi', shell: '/bin/bash' })).toEqual({ command: '/bin/bash', args: ['-c', 'echo hi'] });
  });
  it('rejects an empty entry point with what to do', () => {
    expect(() => buildEntryCommand({ ...common, task: baseTask, entryPoint: '  ' })).toThrow(EntryPointError);
    expect(() => buildEntryCommand({ ...common, task: baseTask, entryPoint: '' })).toThrow(/script.entry_point/);
  });
  it('puts recorded CLI args (with edits) on the command line only for cli-args tasks', () => {
    const hyperparams = {
      Args: {
        _argv: { section: 'Args', name: '_argv', value: 'data.csv "two words"' },
        lr: { section: 'Args', name: 'lr', value: '-0.5' },
        verbose: { section: 'Args', name: 'verbose', value: '' },
      },
    };
    const sdkTask = { ...baseTask, hyperparams };
    expect(buildEntryCommand({ ...common, task: sdkTask, entryPoint: 'train.py' }).args).toEqual(['-u', 'train.py']);
    const cliTask = { ...sdkTask, system_tags: ['tray-agent:cli-args'] };
    expect(buildEntryCommand({ ...common, task: cliTask, entryPoint: 'train.py' }).args).toEqual(['-u', 'train.py', 'data.csv', 'two words', '--lr', '-0.5', '--verbose']);
  });
});

describe('buildTaskEnv (reference §4.2)', () => {
  const env = buildTaskEnv({
    baseEnv: { PATH: '/usr/bin', PYTHONPATH: '/existing', CLEARML_API_SECRET_KEY: 'sekrit', HOME: '/root' },
    taskId: 'T1',
    workerId: 'host:0',
    configFile: '/private/clearml.conf',
    workingDir: '/w/repo/sub',
    repoDir: '/w/repo',
    forceGitRootPythonPath: false,
    gpuEnv: { CUDA_VISIBLE_DEVICES: '0', NVIDIA_VISIBLE_DEVICES: '0' },
    taskEnvironment: { MY_VAR: 'x' },
    venvDir: '/venv',
    logLevel: 'DEBUG',
  });
  it('carries the task identity and tells the SDK the agent captures the console', () => {
    expect(env).toMatchObject({
      CLEARML_TASK_ID: 'T1',
      CLEARML_WORKER_ID: 'host:0',
      CLEARML_LOG_TASK_TO_BACKEND: '0',
      CLEARML_CONFIG_FILE: '/private/clearml.conf',
      CLEARML_LOG_LEVEL: 'DEBUG',
      CUDA_VISIBLE_DEVICES: '0',
      NVIDIA_VISIBLE_DEVICES: '0',
      MY_VAR: 'x',
    });
  });
  it('keeps the agent secret out of the task env', () => {
    expect(env['CLEARML_API_SECRET_KEY']).toBeUndefined();
  });
  it('builds PYTHONPATH and PATH', () => {
    expect(env['PYTHONPATH']).toBe('/existing:/w/repo/sub:/w/repo');
    expect(env['PATH']).toBe('/venv/bin:/usr/bin');
  });
});

describe('stopReasonFromStatus (reference §3.9)', () => {
  it.each([
    [{ status: 'in_progress', statusMessage: '' }, 0, null],
    [{ status: 'in_progress', statusMessage: 'stopping' }, 0, 'user-abort'],
    [{ status: 'stopped', statusMessage: '' }, 0, 'status-changed'],
    [{ status: 'queued', statusMessage: '' }, 0, 'status-changed'],
    [{ status: 'created', statusMessage: '' }, 1, null],
    [{ status: 'created', statusMessage: '' }, 4, 'reset'],
    [null, 0, 'not-found'],
  ] as const)('%j (streak %d) → %s', (view, streak, kind) => {
    expect(stopReasonFromStatus(view, streak)?.kind ?? null).toBe(kind);
  });
});

describe('CleanupStack', () => {
  it('runs every cleanup last-in first-out, even when one fails or hangs', async () => {
    const order: string[] = [];
    const stack = new CleanupStack();
    stack.push('a', () => void order.push('a'));
    stack.push('b', () => {
      order.push('b');
      throw new Error('boom');
    });
    stack.push('c', () => new Promise(() => order.push('c')));
    stack.push('d', async () => void order.push('d'));
    const failures = await stack.runAll(100);
    expect(order).toEqual(['d', 'c', 'b', 'a']);
    expect(failures.map((f) => f.name)).toEqual(['c', 'b']);
    expect(stack.size).toBe(0);
  });
});
