// The only code that runs nvidia-smi (through engine/process). Always asynchronous: systeminformation's graphics() uses
// execFileSync, which would freeze the daemon (and the tray UI) for the length of every call.
import { runCommand } from '../process/index.js';
import {
  COMPUTE_APPS_FIELDS,
  GPU_QUERY_FIELDS,
  parseComputeAppsCsv,
  parseGpuQueryCsv,
  parseSmiBanner,
  type GpuInfo,
  type GpuProcess,
} from './nvidia-smi-parse.js';

export interface NvidiaSmiOptions {
  /** Path or name of the binary; default `nvidia-smi` (looked up on PATH). */
  nvidiaSmi?: string;
  signal?: AbortSignal;
  /** Default 10 s: a wedged driver can make nvidia-smi hang for minutes. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export class GpuQueryError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'GpuQueryError';
  }
}

/** stdout of nvidia-smi, or null when the binary does not exist (a machine without NVIDIA driver). */
async function runNvidiaSmi(args: string[], opts: NvidiaSmiOptions): Promise<string | null> {
  const binary = opts.nvidiaSmi ?? 'nvidia-smi';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const result = await runCommand(binary, args, {
    env: opts.env ?? process.env,
    signal: opts.signal,
    timeoutMs,
    killGraceMs: 1_000,
    captureStdout: true,
    captureStderr: true,
    cancelledError: () => new GpuQueryError(`${binary} ${args[0] ?? ''} was cancelled`, null),
  });
  if (result.spawnError?.code === 'ENOENT') return null;
  if (result.timedOut) throw new GpuQueryError(`${binary} did not answer within ${timeoutMs} ms (is the NVIDIA driver wedged?)`, null);
  if (result.spawnError || result.exitCode !== 0) {
    // nvidia-smi prints its failure reason ("couldn't communicate with the NVIDIA driver") on stdout.
    const reason = `${result.stdout}\n${result.stderr}`.trim() || (result.spawnError?.message ?? 'failed');
    throw new GpuQueryError(`${binary} ${args.join(' ')} failed (exit ${result.exitCode ?? '?'}): ${reason}`, result.exitCode ?? null);
  }
  return result.stdout;
}

/** Every GPU nvidia-smi sees (not filtered by *_VISIBLE_DEVICES); null without nvidia-smi. */
export async function queryGpus(opts: NvidiaSmiOptions = {}): Promise<GpuInfo[] | null> {
  const out = await runNvidiaSmi([`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], opts);
  return out === null ? null : parseGpuQueryCsv(out);
}

/** Processes holding a CUDA context on any GPU; null without nvidia-smi. */
export async function queryGpuProcesses(opts: NvidiaSmiOptions = {}): Promise<GpuProcess[] | null> {
  const out = await runNvidiaSmi(
    [`--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`, '--format=csv,noheader,nounits'],
    opts,
  );
  return out === null ? null : parseComputeAppsCsv(out);
}

/** The driver's CUDA version (`13.0`) from plain `nvidia-smi`, as clearml-agent's last fallback. */
export async function queryDriverVersions(
  opts: NvidiaSmiOptions = {},
): Promise<{ driverVersion: string | null; cudaVersion: string | null } | null> {
  const out = await runNvidiaSmi([], opts);
  return out === null ? null : parseSmiBanner(out);
}
