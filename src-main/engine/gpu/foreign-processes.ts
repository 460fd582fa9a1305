import type { GpuInfo, GpuProcess } from './nvidia-smi-parse.js';

/**
 * GPU indices (of `gpus`) on which some process that is not ours holds a CUDA context — someone
 * running a notebook on the workstation, say — so the daemon can hold off pulling work for them.
 * `ownPids` should contain every pid of our task process trees.
 */
export function busyGpusByForeignProcesses(
  processes: readonly GpuProcess[],
  gpus: readonly GpuInfo[],
  ownPids: ReadonlySet<number>,
): Set<number> {
  const indexByUuid = new Map(gpus.map((g) => [g.uuid, g.index]));
  const busy = new Set<number>();
  for (const p of processes) {
    if (ownPids.has(p.pid)) continue;
    const index = indexByUuid.get(p.gpuUuid);
    if (index !== undefined) busy.add(index);
  }
  return busy;
}
