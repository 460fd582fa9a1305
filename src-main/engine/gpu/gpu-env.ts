import { formatGpuDevices, type GpuSelection } from './gpu-spec.js';

/**
 * The two variables that pin a task to its GPUs. `undefined` means "remove the variable from the
 * child's environment" (for `all`, where CUDA must see every device the runtime exposes).
 */
export interface GpuEnv {
  CUDA_VISIBLE_DEVICES: string | undefined;
  NVIDIA_VISIBLE_DEVICES: string;
}

/**
 * Env for a selection, as clearml-agent sets it: a list goes into both variables (MIG as
 * `0:1`), `all` sets only NVIDIA_VISIBLE_DEVICES, CPU-only hides every device — CUDA gets the
 * empty string (CUDA's own "no device"), the container runtime gets `none`.
 */
export function gpuEnvFor(selection: GpuSelection): GpuEnv {
  switch (selection.kind) {
    case 'all':
      return { CUDA_VISIBLE_DEVICES: undefined, NVIDIA_VISIBLE_DEVICES: 'all' };
    case 'none':
      return { CUDA_VISIBLE_DEVICES: '', NVIDIA_VISIBLE_DEVICES: 'none' };
    case 'list': {
      const list = formatGpuDevices(selection.devices);
      return { CUDA_VISIBLE_DEVICES: list, NVIDIA_VISIBLE_DEVICES: list };
    }
    case 'uuids': {
      const list = selection.uuids.join(',');
      return { CUDA_VISIBLE_DEVICES: list, NVIDIA_VISIBLE_DEVICES: list };
    }
  }
}

/** A copy of `env` with the selection's GPU variables set (or removed), plus PCI bus ordering. */
export function applyGpuEnv(env: NodeJS.ProcessEnv, selection: GpuSelection): NodeJS.ProcessEnv {
  const gpuEnv = gpuEnvFor(selection);
  // Without PCI_BUS_ID ordering CUDA numbers devices fastest-first, which disagrees with nvidia-smi.
  const out: NodeJS.ProcessEnv = { ...env, CUDA_DEVICE_ORDER: 'PCI_BUS_ID', NVIDIA_VISIBLE_DEVICES: gpuEnv.NVIDIA_VISIBLE_DEVICES };
  if (gpuEnv.CUDA_VISIBLE_DEVICES === undefined) delete out.CUDA_VISIBLE_DEVICES;
  else out.CUDA_VISIBLE_DEVICES = gpuEnv.CUDA_VISIBLE_DEVICES;
  return out;
}

/**
 * Docker `--gpus` value (`all`, `"device=0,1"`, MIG `"device=0:1"`), or null for CPU-only where
 * no GPU flag is passed at all.
 */
export function dockerGpusFlag(selection: GpuSelection): string | null {
  switch (selection.kind) {
    case 'all':
      return 'all';
    case 'none':
      return null;
    case 'list':
      return `device=${formatGpuDevices(selection.devices)}`;
    case 'uuids':
      return `device=${selection.uuids.join(',')}`;
  }
}
