import { stopProcessGroup, processGroupAlive, processStartTicks } from '../process/index.js';
import type { RunningEntry } from './running-registry.js';

export interface ReapedTask {
  readonly taskId: string;
  readonly pgid: number | null;
  readonly killed: boolean;
}

/**
 * Leftovers of a daemon that died without cleaning up (kill -9, crash): process groups it
 * launched are terminated (SIGTERM, grace, SIGKILL) and their tasks reported so the caller
 * can mark them failed. The registry file is per worker id, and a daemon only reads it after
 * taking that worker id's local lock, so every entry in it belongs to a daemon that is gone.
 */
export async function reapOrphans(
  leftovers: readonly RunningEntry[],
  options: { graceMs: number; markFailed: (taskId: string, reason: string) => Promise<void> },
): Promise<ReapedTask[]> {
  const reaped: ReapedTask[] = [];
  for (const entry of leftovers) {
    let killed = false;
    // The leader may have exited, leaving its children in the group; but a living leader with
    // another start time is a stranger that reused the pid after the crash: leave it alone.
    const leaderTicks = entry.pgid === null ? null : await processStartTicks(entry.pgid);
    const stranger = leaderTicks !== null && entry.pgidStartTicks != null && leaderTicks !== entry.pgidStartTicks;
    if (entry.pgid !== null && !stranger && (await processGroupAlive(entry.pgid))) {
      await stopProcessGroup(entry.pgid, options.graceMs);
      killed = true;
    }
    await options.markFailed(
      entry.taskId,
      `agent crashed while running it (daemon pid ${entry.daemonPid}); ${killed ? 'leftover processes were killed' : 'no leftover process'} on restart`,
    );
    reaped.push({ taskId: entry.taskId, pgid: entry.pgid, killed });
  }
  return reaped;
}
