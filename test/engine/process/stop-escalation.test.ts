import { describe, expect, it } from 'vitest';
import { escalationSchedule, processGroupAlive, startProcess, runCommand } from '../../../src-main/engine/process/index.js';

const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve(text));
  });
}

async function waitForLine(stream: NodeJS.ReadableStream, line: string): Promise<void> {
  await new Promise<void>((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes(line)) resolve();
    });
  });
}

describe('stop escalation: SIGINT, then SIGTERM, then SIGKILL within the grace', () => {
  it('schedules SIGINT at once, SIGTERM at half the grace, SIGKILL at its end', () => {
    expect(escalationSchedule(10_000)).toEqual([
      { signal: 'SIGINT', atMs: 0 },
      { signal: 'SIGTERM', atMs: 5_000 },
      { signal: 'SIGKILL', atMs: 10_000 },
    ]);
    expect(escalationSchedule(-5).map((s) => s.atMs)).toEqual([0, 0, 0]);
  });

  it('a Python program that ignores SIGTERM stops on SIGINT at once and runs its finally block', async () => {
    const script = [
      'import signal, time, sys',
      'signal.signal(signal.SIGTERM, signal.SIG_IGN)',
      'print("ready", flush=True)',
      'try:',
      '    time.sleep(60)',
      'except KeyboardInterrupt:',
      '    print("cleaned up after KeyboardInterrupt", flush=True)',
      '    sys.exit(1)',
    ].join('\n');
    const child = startProcess({ command: 'python3', args: ['-c', script], cwd: '/', env });
    const output = collect(child.stdout);
    await waitForLine(child.stdout, 'ready');
    const started = Date.now();
    const outcome = await child.stop(10_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcome).toEqual({ sent: ['SIGINT'], killed: false });
    expect(await output).toContain('cleaned up after KeyboardInterrupt');
    expect(await processGroupAlive(child.pid)).toBe(false);
  });

  it('a program that ignores SIGINT and SIGTERM is SIGKILLed at the end of the grace', async () => {
    const script = 'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", flush=True)\ntime.sleep(60)\n';
    const child = startProcess({ command: 'python3', args: ['-c', script], cwd: '/', env });
    await waitForLine(child.stdout, 'ready');
    const started = Date.now();
    const outcome = await child.stop(800);
    const elapsed = Date.now() - started;
    expect(outcome).toEqual({ sent: ['SIGINT', 'SIGTERM', 'SIGKILL'], killed: true });
    expect(elapsed).toBeGreaterThanOrEqual(790);
    expect(elapsed).toBeLessThan(3_000);
    expect((await child.exited).signal).toBe('SIGKILL');
  });

  it('runCommand: output lines, exit code, a missing command as spawnError, cancellation', async () => {
    const lines: string[] = [];
    const ok = await runCommand('sh', ['-c', 'echo one; echo two >&2; exit 4'], { env, onLine: (l) => lines.push(l), captureStdout: true });
    expect(ok.exitCode).toBe(4);
    expect(ok.stdout).toBe('one\n');
    expect(lines.sort()).toEqual(['one', 'two']);
    const missing = await runCommand('/no/such/tool', [], { env });
    expect(missing.spawnError?.code).toBe('ENOENT');
    const controller = new AbortController();
    const running = runCommand('sleep', ['30'], { env, signal: controller.signal, killGraceMs: 500 });
    setTimeout(() => controller.abort(), 100);
    await expect(running).rejects.toThrow(/cancelled/);
  });
});
