import { GpuSlotAllocator, gpuEnvFor, type DynamicQueueSpec, type GpuSelection } from '../gpu/index.js';
import { formWorkerId } from '../worker-identity/index.js';
import type { SlotPolicy } from './slots.js';

/**
 * `--dynamic-gpus`: several tasks at once, each in GPUs this daemon books itself (whole GPUs or
 * eighths of one), each reporting as its own worker `host:gpuN` / `host:gpuN.5a`. Queues whose
 * request does not fit are skipped, not waited on, so a lower queue that fits still runs.
 */
export function dynamicGpuSlotPolicy(options: {
  readonly hostname: string;
  readonly workerName: string | null;
  readonly gpus: readonly number[];
  readonly queueSpecs: readonly DynamicQueueSpec[];
}): SlotPolicy {
  const allocator = new GpuSlotAllocator([...options.gpus]);
  return {
    description: `dynamic GPUs ${options.gpus.join(',')} shared by ${options.queueSpecs.map((q) => q.text).join(' ')}`,
    pullableQueueIndexes: () => options.queueSpecs.map((spec, index) => ({ spec, index })).filter(({ spec }) => allocator.fits(spec)).map(({ index }) => index),
    acquire(queueIndex) {
      const spec = options.queueSpecs[queueIndex];
      if (!spec) return null;
      const slot = allocator.tryAllocate(spec);
      if (!slot) return null;
      const workerId = formWorkerId({
        hostname: options.hostname,
        workerName: options.workerName,
        slot: 0,
        dynamic: { kind: 'slot', gpus: slot.gpus, fraction: slot.fraction, letter: slot.letter },
      });
      const selection: GpuSelection = { kind: 'list', spec: slot.gpus.join(','), devices: slot.gpus.map((index) => ({ index, mig: null })) };
      return { workerId, gpuEnv: { ...gpuEnvFor(selection) }, release: () => void allocator.release(slot.slotId) };
    },
  };
}
