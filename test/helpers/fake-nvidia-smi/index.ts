// Test double for nvidia-smi (no GPU on the build machines): see ./nvidia-smi.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Folder holding the fake `nvidia-smi`; prepend it to PATH to stand in for the real binary. */
export const FAKE_NVIDIA_SMI_DIR = path.dirname(fileURLToPath(import.meta.url));
export const FAKE_NVIDIA_SMI = path.join(FAKE_NVIDIA_SMI_DIR, 'nvidia-smi');
/** The H200 recordings the fake replays (copied from shared/fixtures/nvidia-smi/h200). */
export const H200_RECORDINGS_DIR = path.join(FAKE_NVIDIA_SMI_DIR, 'h200');

export type FakeGpuState = 'idle' | 'busy';

/** Env for a child process (e.g. the daemon) that should see the fake GPU. */
export function fakeNvidiaSmiEnv(
  opts: { state?: FakeGpuState; fail?: boolean; delaySeconds?: number; logFile?: string; baseEnv?: NodeJS.ProcessEnv } = {},
): NodeJS.ProcessEnv {
  const base = opts.baseEnv ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    PATH: `${FAKE_NVIDIA_SMI_DIR}${path.delimiter}${base.PATH ?? ''}`,
    FAKE_NVIDIA_SMI_STATE: opts.state ?? 'idle',
  };
  if (opts.fail) env.FAKE_NVIDIA_SMI_FAIL = '1';
  if (opts.delaySeconds !== undefined) env.FAKE_NVIDIA_SMI_DELAY_S = String(opts.delaySeconds);
  if (opts.logFile) env.FAKE_NVIDIA_SMI_LOG = opts.logFile;
  return env;
}

/**
 * Folder holding a fake `nvidia-smi` for a workstation with two H200s, made from the same
 * recording (./pair/nvidia-smi: GPU 0 busy with a foreign process, GPU 1 idle). Prepend it to PATH.
 */
export const FAKE_NVIDIA_SMI_PAIR_DIR = path.join(FAKE_NVIDIA_SMI_DIR, 'pair');
