import { DynamicGpuSpecError } from './dynamic-queue-spec.js';
import type { GpuSelection } from './gpu-spec.js';

/**
 * The GPU indices `--dynamic-gpus` may hand out. The pool must be named explicitly (a list or
 * range): `all` would need a device count we may not know, and MIG instances are not whole GPUs.
 */
export function dynamicGpuIndices(selection: GpuSelection | null): number[] {
  if (selection === null || selection.kind === 'none') {
    throw new DynamicGpuSpecError('--dynamic-gpus needs --gpus with the GPUs to share out, e.g. --gpus 0-3');
  }
  if (selection.kind === 'all' || selection.kind === 'uuids') {
    throw new DynamicGpuSpecError('--dynamic-gpus needs --gpus as a list or range of GPU indices (e.g. 0-3 or 0,1,2), not "all" or UUIDs');
  }
  const mig = selection.devices.find((d) => d.mig !== null);
  if (mig) {
    throw new DynamicGpuSpecError(`--dynamic-gpus shares whole GPUs; MIG device ${mig.index}:${mig.mig} in --gpus "${selection.spec}" cannot be used`);
  }
  return selection.devices.map((d) => d.index);
}
