import { describe, expect, it } from 'vitest';
import { startProcess, processGroupAlive } from '../../../src-main/engine/process/index.js';

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve(text));
  });
}

const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

describe('task process group (real processes)', () => {
  it('reports the exit code and output', async () => {
    const child = startProcess({ command: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'], cwd: '/', env });
    const [out, err, exit] = await Promise.all([collect(child.stdout), collect(child.stderr), child.exited]);
    expect(out).toBe('out\n');
    expect(err).toBe('err\n');
    expect(exit.exitCode).toBe(3);
  });

  it('SIGTERM reaches grandchildren; a cooperative tree exits within the grace', async () => {
    const child = startProcess({ command: 'sh', args: ['-c', 'sleep 30 & sleep 30 & wait'], cwd: '/', env });
    await new Promise((r) => setTimeout(r, 200));
    const result = await child.stop(2_000);
    expect(result.killed).toBe(false);
    expect(await processGroupAlive(child.pid)).toBe(false);
  });

  it('escalates to SIGKILL after the grace when the tree ignores SIGTERM', async () => {
    const child = startProcess({
      command: 'sh',
      args: ['-c', "trap '' TERM; (trap '' TERM; sleep 30) & sleep 30 & wait"],
      cwd: '/',
      env,
    });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const result = await child.stop(300);
    expect(result.killed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await processGroupAlive(child.pid)).toBe(false);
    await child.exited;
  });
});
