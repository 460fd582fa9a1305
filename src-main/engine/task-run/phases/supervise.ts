import type { ManagedProcess, ProcessExit } from '../../process/index.js';
import { describeStopReason, type StopReason } from '../stop-reason.js';
import type { TaskPhase, TaskRunContext } from '../context.js';

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

      const exit = await untilRunEnds(ctx, child, { stopRequested: options.stopRequested, reportsStatus: ctx.api.reportsToServer !== false, where: '' });
      if (exit) {
        ctx.ending = { kind: 'exited', exitCode: exit.exitCode, signal: exit.signal };
        // The leader is gone; descendants it left behind must not outlive the run.
        await child.stop(settings.abortGraceMs);
      }
      await streamDone;
    },
  };
}

/**
 * The wait every executor's run phase shares: keeps the task alive on the server (ping when
 * `reportsStatus`), and waits for the first of: the process exits (its exit is returned), a stop
 * is requested, or the time limit. A stop is logged, carried out (SIGINT, SIGTERM, SIGKILL within
 * the grace, `where` says where: " inside the container") and recorded as the run's ending; then
 * null is returned.
 */
export async function untilRunEnds(
  ctx: TaskRunContext,
  proc: Pick<ManagedProcess, 'exited' | 'stop'>,
  options: { stopRequested: Promise<StopReason>; reportsStatus: boolean; where: string },
): Promise<ProcessExit | null> {
  const { settings } = ctx;
  const pinger = options.reportsStatus && settings.pingIntervalMs > 0 ? setInterval(() => void ctx.api.ping(ctx.taskId).catch(() => undefined), settings.pingIntervalMs) : undefined;
  let limitTimer: NodeJS.Timeout | undefined;
  const timeLimit = new Promise<StopReason>((resolve) => {
    if (settings.timeoutSec > 0) limitTimer = setTimeout(() => resolve({ kind: 'timeout', limitSec: settings.timeoutSec }), settings.timeoutSec * 1000);
  });
  try {
    const first = await Promise.race([
      proc.exited.then((exit) => ({ type: 'exit' as const, exit })),
      options.stopRequested.then((reason) => ({ type: 'stop' as const, reason })),
      timeLimit.then((reason) => ({ type: 'stop' as const, reason })),
    ]);
    if (first.type === 'exit') return first.exit;
    ctx.stopReason = first.reason;
    ctx.log(first.reason.kind === 'user-abort' ? 'ERROR' : 'WARNING', `Stopping task: ${describeStopReason(first.reason)}; SIGINT, then SIGTERM, then SIGKILL${options.where} within ${settings.abortGraceMs} ms`);
    const { killed } = await proc.stop(settings.abortGraceMs);
    if (killed) ctx.log('WARNING', 'Task did not exit within the grace period; killed');
    await proc.exited;
    ctx.ending = { kind: 'stopped', reason: first.reason };
    return null;
  } finally {
    clearInterval(pinger);
    clearTimeout(limitTimer);
  }
}
