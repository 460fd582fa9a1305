import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handleStopSignals, type SignalHandling } from '../../src-main/control/signals.js';

// The listeners handleStopSignals adds, called directly: emitting a real SIGTERM in the test
// worker would also reach the test runner's own handlers.
function installed(target: { stop(): void; drain?(): void }, options?: { onImmediateExit?: () => void }) {
  const before = new Set(process.listeners('SIGTERM'));
  const handling = handleStopSignals(target, options);
  const [listener] = process.listeners('SIGTERM').filter((l) => !before.has(l));
  if (!listener) throw new Error('handleStopSignals added no SIGTERM listener');
  return { handling, sigterm: () => (listener as () => void)() };
}

let handling: SignalHandling | null = null;
afterEach(() => {
  handling?.dispose();
  vi.restoreAllMocks();
});

describe('stop signals', () => {
  it('the first signal stops gracefully; an echo of it right after (a library re-sending the signal it caught) is not a second one', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stop = vi.fn();
    const made = installed({ stop });
    handling = made.handling;
    made.sigterm();
    made.sigterm();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(exit).not.toHaveBeenCalled();
    expect(await made.handling.requested).toBe('stop');
  });

  it('a second signal after the first has settled exits at once, saying so', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const onImmediateExit = vi.fn();
    const made = installed({ stop: vi.fn() }, { onImmediateExit });
    handling = made.handling;
    made.sigterm();
    await new Promise((r) => setTimeout(r, 150));
    made.sigterm();
    expect(onImmediateExit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('a real SIGTERM with electron-store\'s signal hook loaded (it re-sends the signal) stops gracefully, once', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../fixtures/signal-echo-child.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n') && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(out).toBe('ready\ngraceful stop\n');
    expect(code).toBe(0);
  }, 20_000);

  it('dispose removes what it added', () => {
    const before = process.listeners('SIGTERM').length;
    handleStopSignals({ stop: vi.fn() }).dispose();
    expect(process.listeners('SIGTERM')).toHaveLength(before);
  });
});
