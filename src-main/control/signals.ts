// Ctrl+C / SIGTERM / SIGUSR2 for every command that hosts agents (daemon, execute, up), in one
// place: the first stop signal stops gracefully (tasks get SIGINT, SIGTERM, SIGKILL within their
// grace, final statuses are recorded), a second one exits at once; SIGUSR2 drains.

export type StopKind = 'stop' | 'drain';

export interface SignalHandling {
  /** Resolves with the first request (stop or drain). */
  readonly requested: Promise<StopKind>;
  dispose(): void;
}

export function handleStopSignals(target: { stop(): void; drain?(): void }, options: { onImmediateExit?: () => void } = {}): SignalHandling {
  let count = 0;
  let resolve!: (kind: StopKind) => void;
  const requested = new Promise<StopKind>((r) => (resolve = r));
  const onStop = (): void => {
    count += 1;
    if (count > 1) {
      options.onImmediateExit?.();
      // What still runs is reaped by the next daemon start (orphan reaper).
      process.exit(130);
    }
    target.stop();
    resolve('stop');
  };
  const onDrain = (): void => {
    if (!target.drain) return onStop();
    target.drain();
    resolve('drain');
  };
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  if (process.platform !== 'win32') process.on('SIGUSR2', onDrain);
  return {
    requested,
    dispose() {
      process.off('SIGINT', onStop);
      process.off('SIGTERM', onStop);
      if (process.platform !== 'win32') process.off('SIGUSR2', onDrain);
    },
  };
}
