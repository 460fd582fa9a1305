import { readFile } from 'node:fs/promises';
import { stopProcessGroup, processGroupAlive, processStartTicks, isProcessAlive } from '../process/index.js';
import { claimRegistryFile, listRegistryFiles, type RunHandle, type RunningEntry } from './running-registry.js';

export interface ReapedTask {
  readonly taskId: string;
  readonly handle: RunHandle | null;
  readonly killed: boolean;
}

/** Liveness and reaping for handles other than process groups (docker, glue register theirs). */
export interface HandleReaper {
  alive(handle: RunHandle): Promise<boolean>;
  reap(handle: RunHandle, graceMs: number): Promise<void>;
}

async function reapHandle(handle: RunHandle | null, graceMs: number, reapers: Partial<Record<RunHandle['kind'], HandleReaper>>): Promise<boolean> {
  if (handle === null) return false;
  if (handle.kind === 'process-group') {
    // The leader may have exited, leaving its children in the group; but a living leader with
    // another start time is a stranger that reused the pid after the crash: leave it alone.
    const leaderTicks = await processStartTicks(handle.pgid);
    const stranger = leaderTicks !== null && handle.startTicks !== null && leaderTicks !== handle.startTicks;
    if (stranger || !(await processGroupAlive(handle.pgid))) return false;
    await stopProcessGroup(handle.pgid, graceMs);
    return true;
  }
  const reaper = reapers[handle.kind];
  if (!reaper || !(await reaper.alive(handle))) return false;
  await reaper.reap(handle, graceMs);
  return true;
}

/**
 * Leftovers of daemons that died without cleaning up (kill -9, crash): what they launched is
 * stopped (SIGINT, SIGTERM, SIGKILL within the grace; containers and scheduler jobs through
 * their reaper) and their tasks reported so the caller can mark them failed.
 */
export async function reapOrphans(
  leftovers: readonly RunningEntry[],
  options: { graceMs: number; markFailed: (taskId: string, reason: string) => Promise<void>; reapers?: Partial<Record<RunHandle['kind'], HandleReaper>> },
): Promise<ReapedTask[]> {
  const reaped: ReapedTask[] = [];
  for (const entry of leftovers) {
    const killed = await reapHandle(entry.handle, options.graceMs, options.reapers ?? {});
    await options.markFailed(
      entry.taskId,
      `agent crashed while running it (daemon pid ${entry.daemonPid}); ${killed ? 'leftover processes were killed' : 'no leftover process'} on restart`,
    );
    reaped.push({ taskId: entry.taskId, handle: entry.handle, killed });
  }
  return reaped;
}

/**
 * Registry files in `dir` whose daemon is gone (any worker id: the machine's other daemons of
 * this user, not only our predecessor), claimed for reaping. `ownFile` is skipped.
 */
export async function claimCrashedRegistries(dir: string, ownFile: string): Promise<RunningEntry[]> {
  const leftovers: RunningEntry[] = [];
  for (const file of await listRegistryFiles(dir)) {
    if (file === ownFile) continue;
    const peek = await readFile(file, 'utf8').catch(() => null);
    if (peek === null) continue;
    let pid: number | null;
    let ticks: number | null = null;
    try {
      const first = (JSON.parse(peek) as { entries?: Array<{ daemonPid?: number; daemonStartTicks?: number | null }> }).entries?.[0];
      pid = typeof first?.daemonPid === 'number' ? first.daemonPid : null;
      ticks = first?.daemonStartTicks ?? null;
    } catch {
      pid = null;
    }
    // An empty registry names nothing to reap; a live daemon's file is its own business.
    if (pid === null || (await isProcessAlive(pid, ticks))) continue;
    const claimed = await claimRegistryFile(file);
    if (claimed) leftovers.push(...claimed);
  }
  return leftovers;
}
