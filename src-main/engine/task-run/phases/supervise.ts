import type { StopReason } from '../stop-reason.js';
import type { TaskPhase } from '../context.js';

/**
 * Streams the process output, keeps the task alive on the server (ping), and waits for the
 * first of: the process exits, a stop is requested (abort, shutdown), or the time limit.
 * On a stop the whole process group gets SIGINT, then SIGTERM, then SIGKILL within the grace
 * (engine/process: Python's KeyboardInterrupt runs `finally` blocks; the ClearML SDK ignores SIGTERM).
 */
export function supervisePhase(options: { stopRequested: Promise<StopReason> }): TaskPhase {
  return {
    name: 'run',
    async run(ctx) {
      const child = ctx.process;
      if (!child) throw new Error('supervise needs a launched process');
      const { settings } = ctx;
      const streamDone = Promise.all([
        new Promise<void>((resolve) => {
          child.stdout.on('data', (chunk: Buffer) => ctx.output.stdout(chunk));
          child.stdout.on('end', resolve);
          child.stdout.on('error', () => resolve());
        }),
        new Promise<void>((resolve) => {
          child.stderr.on('data', (chunk: Buffer) => ctx.output.stderr(chunk));
          child.stderr.on('end', resolve);
          child.stderr.on('error', () => resolve());
        }),
      ]);

      const pinger =
        ctx.api.reportsToServer !== false && settings.pingIntervalMs > 0
          ? setInterval(() => void ctx.api.ping(ctx.taskId).catch(() => undefined), settings.pingIntervalMs)
          : undefined;
      let limitTimer: NodeJS.Timeout | undefined;
      const timeLimit = new Promise<StopReason>((resolve) => {
        if (settings.timeoutSec > 0) limitTimer = setTimeout(() => resolve({ kind: 'timeout', limitSec: settings.timeoutSec }), settings.timeoutSec * 1000);
      });
      try {
        const first = await Promise.race([
          child.exited.then((exit) => ({ type: 'exit' as const, exit })),
          options.stopRequested.then((reason) => ({ type: 'stop' as const, reason })),
          timeLimit.then((reason) => ({ type: 'stop' as const, reason })),
        ]);
        if (first.type === 'stop') {
          ctx.stopReason = first.reason;
          ctx.log(first.reason.kind === 'user-abort' ? 'ERROR' : 'WARNING', `Stopping task: ${describe(first.reason)}; SIGINT, then SIGTERM, then SIGKILL within ${settings.abortGraceMs} ms`);
          const { killed } = await child.stop(settings.abortGraceMs);
          if (killed) ctx.log('WARNING', 'Task did not exit within the grace period; killed');
          await child.exited;
          ctx.ending = { kind: 'stopped', reason: first.reason };
        } else {
          ctx.ending = { kind: 'exited', exitCode: first.exit.exitCode, signal: first.exit.signal };
          // The leader is gone; descendants it left behind must not outlive the run.
          await child.stop(settings.abortGraceMs);
        }
        await streamDone;
      } finally {
        clearInterval(pinger);
        clearTimeout(limitTimer);
      }
    },
  };
}

function describe(reason: StopReason): string {
  switch (reason.kind) {
    case 'user-abort':
      return 'aborted by user (tasks.stop)';
    case 'timeout':
      return `time limit of ${reason.limitSec} s reached`;
    case 'status-changed':
      return `status changed to ${reason.status} on the server`;
    default:
      return reason.kind;
  }
}
