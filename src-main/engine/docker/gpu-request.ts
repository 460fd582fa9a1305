/**
 * The GPUs a container gets and the GPU variables the task sees inside it (reference §5.2, §8
 * #10). Pure. Decisions (docs/docker.md):
 * - `HostConfig.DeviceRequests` names the host device ids (never Count together with
 *   DeviceIDs); `all` is Count -1; CPU-only passes no request at all.
 * - Inside, NVIDIA_VISIBLE_DEVICES names the same host ids (images such as nvidia/cuda set it
 *   to `all`, which made clearml-agent's containers look like they had every GPU), and
 *   CUDA_VISIBLE_DEVICES counts the container's own devices 0..n-1 — the runtime exposes only
 *   the requested GPUs, renumbered, so host ordinals above 0 would hide them from CUDA. UUIDs
 *   are the same everywhere and stay as they are.
 * - A fractional slot gets its one GPU, the share in TRAY_AGENT_GPU_FRACTION and, when an
 *   NVIDIA MPS control daemon runs on the host, the MPS pipe plus a memory cap and thread share
 *   sized from the fraction.
 */

export type DockerGpuRequest =
  | { readonly kind: 'none' }
  | { readonly kind: 'all' }
  | { readonly kind: 'devices'; readonly ids: readonly string[]; readonly fraction: number | null };

export interface MpsHost {
  /** CUDA_MPS_PIPE_DIRECTORY of the running control daemon (default /tmp/nvidia-mps). */
  readonly pipeDirectory: string;
  /** Total memory of the slot's GPU, for the cap; null when unknown (then no memory cap). */
  readonly deviceMemoryMiB: number | null;
}

export interface DeviceRequest {
  Driver: string;
  Count?: number;
  DeviceIDs?: string[];
  Capabilities: string[][];
}

export interface ContainerGpuSettings {
  readonly deviceRequests: DeviceRequest[];
  readonly env: Record<string, string>;
  /** Variables the image may set that must not reach the task (`undefined` in the env sense). */
  readonly unsetEnv: string[];
  readonly binds: string[];
  /** MPS clients must share the host's IPC namespace with the control daemon. */
  readonly ipcHost: boolean;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * The request from the GPU variables the agent computed for the task (gpuEnvFor of the
 * selection, or the daemon's slot); nothing set means every GPU, as clearml-agent's `--gpus all`.
 */
export function gpuRequestFromEnv(gpuEnv: Record<string, string | undefined>, fraction: number | null = null): DockerGpuRequest {
  const nvidia = gpuEnv['NVIDIA_VISIBLE_DEVICES']?.trim();
  const cuda = gpuEnv['CUDA_VISIBLE_DEVICES']?.trim();
  const text = nvidia !== undefined ? nvidia : cuda;
  if (text === undefined || text.toLowerCase() === 'all') return { kind: 'all' };
  if (text === '' || /^(none|void)$/i.test(text)) return { kind: 'none' };
  return { kind: 'devices', ids: splitList(text), fraction };
}

const isUuid = (id: string) => /^(GPU|MIG)-/i.test(id);

export function containerGpuSettings(request: DockerGpuRequest, options: { mps?: MpsHost | null; skipGpusFlag?: boolean } = {}): ContainerGpuSettings {
  const capabilities = [['gpu']];
  switch (request.kind) {
    case 'none':
      return { deviceRequests: [], env: { NVIDIA_VISIBLE_DEVICES: 'none', CUDA_VISIBLE_DEVICES: '' }, unsetEnv: [], binds: [], ipcHost: false };
    case 'all':
      return {
        deviceRequests: options.skipGpusFlag ? [] : [{ Driver: 'nvidia', Count: -1, Capabilities: capabilities }],
        env: { NVIDIA_VISIBLE_DEVICES: 'all' },
        unsetEnv: ['CUDA_VISIBLE_DEVICES'],
        binds: [],
        ipcHost: false,
      };
    case 'devices': {
      const ids = [...request.ids];
      const env: Record<string, string> = {
        NVIDIA_VISIBLE_DEVICES: ids.join(','),
        CUDA_VISIBLE_DEVICES: ids.map((id, index) => (isUuid(id) ? id : String(index))).join(','),
      };
      const binds: string[] = [];
      let ipcHost = false;
      if (request.fraction !== null && request.fraction < 1) {
        env['TRAY_AGENT_GPU_FRACTION'] = String(request.fraction);
        if (options.mps) {
          env['CUDA_MPS_PIPE_DIRECTORY'] = options.mps.pipeDirectory;
          env['CUDA_MPS_ACTIVE_THREAD_PERCENTAGE'] = String(Math.max(1, Math.round(request.fraction * 100)));
          if (options.mps.deviceMemoryMiB !== null) {
            env['CUDA_MPS_PINNED_DEVICE_MEM_LIMIT'] = `0=${Math.floor(options.mps.deviceMemoryMiB * request.fraction)}M`;
          }
          binds.push(`${options.mps.pipeDirectory}:${options.mps.pipeDirectory}`);
          ipcHost = true;
        }
      }
      return {
        deviceRequests: options.skipGpusFlag ? [] : [{ Driver: 'nvidia', DeviceIDs: ids, Capabilities: capabilities }],
        env,
        unsetEnv: [],
        binds,
        ipcHost,
      };
    }
  }
}
