import { readdirSync, readFileSync } from 'node:fs';
import { queryGpus, queryGpuProcesses, busyGpusByForeignProcesses, type GpuSelection } from '../gpu/index.js';

/** Pids of every living process in these process groups (our running tasks), from /proc. */
function pidsInGroups(groups: ReadonlySet<number>): Set<number> {
  const pids = new Set<number>();
  if (groups.size === 0 || process.platform !== 'linux') return pids;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (groups.has(pgrp)) pids.add(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/**
 * `agent.skip_busy_gpus` (ours): before a pull, are any of this daemon's GPUs in use by a
 * process that is not one of our tasks (a notebook on the workstation, another tool)? Then the
 * daemon waits instead of starting a task that would fight it for memory. Machines without
 * nvidia-smi, or where it fails, are treated as free: the switch must never stop a daemon.
 */
export function createBusyGpuGate(options: {
  readonly selection: GpuSelection;
  readonly ownProcessGroups: () => ReadonlySet<number>;
  readonly env: Record<string, string | undefined>;
}): () => Promise<{ active: boolean; reason: string }> {
  return async () => {
    const env = options.env as NodeJS.ProcessEnv;
    try {
      const [gpus, processes] = await Promise.all([queryGpus({ env }), queryGpuProcesses({ env })]);
      if (!gpus || !processes) return { active: true, reason: 'no nvidia-smi' };
      const mine = gpus.filter((gpu) => {
        const { selection } = options;
        if (selection.kind === 'all') return true;
        if (selection.kind === 'none') return false;
        if (selection.kind === 'uuids') return selection.uuids.includes(gpu.uuid);
        return selection.devices.some((d) => d.index === gpu.index);
      });
      const busy = busyGpusByForeignProcesses(processes, mine, pidsInGroups(options.ownProcessGroups()));
      if (busy.size === 0) return { active: true, reason: 'GPUs free' };
      const holders = processes.filter((p) => mine.some((g) => g.uuid === p.gpuUuid && busy.has(g.index))).map((p) => `${p.processName} (pid ${p.pid})`);
      return { active: false, reason: `GPU ${[...busy].sort().join(',')} busy with a process that is not ours: ${holders.join(', ')} (agent.skip_busy_gpus)` };
    } catch {
      return { active: true, reason: 'GPU check failed' };
    }
  };
}
