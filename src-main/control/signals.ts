// Ctrl+C / SIGTERM / SIGUSR2 for every command that hosts agents (daemon, execute, up), in one
// place: the first stop signal stops gracefully (tasks get SIGINT, SIGTERM, SIGKILL within their
// grace, final statuses are recorded), a second one exits at once; SIGUSR2 drains.
//
// A library that hooks signals when it is imported may catch the first one itself and send it
// again (electron-store's atomically, through when-exit, does so in the tray's main process): a
// repeat within REPEAT_WINDOW_MS of the first is that echo, not a person pressing Ctrl+C twice.

const REPEAT_WINDOW_MS = 100;

export type StopKind = 'stop' | 'drain';

export interface SignalHandling {
  /** Resolves with the first request (stop or drain). */
  readonly requested: Promise<StopKind>;
  dispose(): void;
}

export function handleStopSignals(target: { stop(): void; drain?(): void }, options: { onImmediateExit?: () => void } = {}): SignalHandling {
  let count = 0;
  let firstAt = 0;
  let resolve!: (kind: StopKind) => void;
  const requested = new Promise<StopKind>((r) => (resolve = r));
  const onStop = (): void => {
    if (count > 0 && Date.now() - firstAt < REPEAT_WINDOW_MS) return;
    count += 1;
    if (count === 1) firstAt = Date.now();
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
