import { queryDriverVersions } from '../gpu/nvidia-smi-query.js';

/** Pure: `13.0` / `12.1.1` / `121` → 130 / 121 / 121 (clearml-agent's "major*10+minor"); null when unreadable. */
export function cudaDigits(version: string | null | undefined): number | null {
  if (version === null || version === undefined) return null;
  const text = String(version).trim();
  if (text === '') return null;
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? Number(m[1]) * 10 + Number(m[2]) : null;
}

/**
 * The CUDA version torch wheels are chosen for: the configured one (agent.cuda_version /
 * CUDA_VERSION), else the driver's from `nvidia-smi`, else none (cpu). Only asked when a task
 * installs torch.
 */
export async function cudaVersionForTorch(configured: string | null | undefined, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<{ cuda: number | null; source: string }> {
  if (configured !== undefined) {
    const cuda = cudaDigits(configured);
    return { cuda: cuda && cuda > 0 ? cuda : null, source: cuda && cuda > 0 ? 'agent.cuda_version' : 'agent.cuda_version (no GPU)' };
  }
  try {
    const versions = await queryDriverVersions({ env, ...(signal ? { signal } : {}), timeoutMs: 10_000 });
    if (!versions) return { cuda: null, source: 'no nvidia-smi on PATH' };
    const cuda = cudaDigits(versions.cudaVersion);
    return cuda ? { cuda, source: `nvidia-smi (CUDA ${versions.cudaVersion})` } : { cuda: null, source: 'nvidia-smi shows no CUDA version' };
  } catch (error) {
    return { cuda: null, source: `nvidia-smi failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}
