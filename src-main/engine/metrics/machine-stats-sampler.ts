// Samples machine load in the background and hands out the averages as the `machine_stats`
// object of workers.status_report (clearml-api §4.3: field names, units, 3 decimals).
import os from 'node:os';
import { queryGpus } from '../gpu/nvidia-smi-query.js';
import type { MachineStats } from '../api/services/workers.js';
import type { GpuInfo } from '../gpu/nvidia-smi-parse.js';
import type { GpuSelection } from '../gpu/gpu-spec.js';
import { cpuUsagePercent, ratePerSecondMB, type ByteCounters, type CpuTimes, type DiskCounters } from './linux-counters.js';
import { createSystemProbe, type SystemProbe } from './system-probe.js';

/** The wire object of workers.status_report (reference §4.3), as the API client defines it. */
export type { MachineStats };

/** One raw sample, for live views (tray, dashboard). */
export interface MachineSample {
  at: Date;
  cpuUsage: number | null;
  cpuTemperature: number | null;
  memoryUsedMB: number | null;
  memoryFreeMB: number | null;
  diskFreePercent: number | null;
  diskReadMBps: number | null;
  diskWriteMBps: number | null;
  networkRxMBps: number | null;
  networkTxMBps: number | null;
}

export interface MachineStatsSamplerOptions {
  diskPath?: string;
  /** Default 2000 ms. */
  sampleIntervalMs?: number;
  /**
   * GPU source; default `queryGpus()` (runs nvidia-smi). null = no GPU stats. A null *result*
   * means nvidia-smi is absent and GPU sampling stops for good.
   */
  gpuQuery?: (() => Promise<GpuInfo[] | null>) | null;
  /** Default 10 000 ms: each nvidia-smi run costs far more than all other probes together. */
  gpuSampleIntervalMs?: number;
  /** Only these GPUs are reported (NVIDIA_VISIBLE_DEVICES semantics); null/all = every GPU. */
  visibleGpus?: GpuSelection | null;
  /**
   * Reported when nvidia-smi cannot say (MIG): agent.resource_monitoring.default_gpu_utilization
   * (default 100); null leaves gpu_usage out in that case.
   */
  defaultGpuUtilization?: number | null;
  log?: (line: string) => void;
  probe?: SystemProbe;
}

export interface MachineStatsSampler {
  /** Takes one sample now (also on top of the timer); resolves when it is in the window. */
  sampleNow(): Promise<void>;
  /** Averages since the last take, then starts a new window; null when nothing was sampled. */
  takeReport(): MachineStats | null;
  /** Averages of the current window without resetting it. */
  peekReport(): MachineStats | null;
  latest(): MachineSample | null;
  /** Last GPU readings (all GPUs nvidia-smi sees), null before the first or without GPUs. */
  latestGpus(): GpuInfo[] | null;
  stop(): void;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

class Mean {
  private sum = 0;
  private count = 0;
  add(value: number | null): void {
    if (value === null || !Number.isFinite(value)) return;
    this.sum += value;
    this.count += 1;
  }
  value(): number | null {
    return this.count === 0 ? null : round3(this.sum / this.count);
  }
}

interface GpuWindow {
  usage: Mean;
  memoryUsed: Mean;
  memoryFree: Mean;
  temperature: Mean;
}

class StatsWindow {
  samples = 0;
  cpu = new Mean();
  cpuTemp = new Mean();
  memUsed = new Mean();
  memFree = new Mean();
  diskFree = new Mean();
  diskRead = new Mean();
  diskWrite = new Mean();
  netRx = new Mean();
  netTx = new Mean();
  gpus = new Map<number, GpuWindow>();

  addGpu(gpu: GpuInfo, defaultUtilization: number | null): void {
    let w = this.gpus.get(gpu.index);
    if (!w) {
      w = { usage: new Mean(), memoryUsed: new Mean(), memoryFree: new Mean(), temperature: new Mean() };
      this.gpus.set(gpu.index, w);
    }
    w.usage.add(gpu.utilizationGpu ?? defaultUtilization);
    w.memoryUsed.add(gpu.memoryUsedMiB);
    w.memoryFree.add(gpu.memoryFreeMiB);
    w.temperature.add(gpu.temperatureC);
  }

  report(): MachineStats | null {
    if (this.samples === 0 && this.gpus.size === 0) return null;
    const stats: MachineStats = {};
    const cpu = this.cpu.value();
    if (cpu !== null) stats.cpu_usage = [cpu];
    type ScalarKey = 'memory_used' | 'memory_free' | 'disk_free_home' | 'disk_read' | 'disk_write' | 'network_rx' | 'network_tx';
    const put = (key: ScalarKey, mean: Mean): void => {
      const v = mean.value();
      if (v !== null) stats[key] = v;
    };
    const temp = this.cpuTemp.value();
    if (temp !== null) stats.cpu_temperature = [temp];
    put('memory_used', this.memUsed);
    put('memory_free', this.memFree);
    put('disk_free_home', this.diskFree);
    put('disk_read', this.diskRead);
    put('disk_write', this.diskWrite);
    put('network_rx', this.netRx);
    put('network_tx', this.netTx);
    if (this.gpus.size > 0) {
      const ordered = [...this.gpus.entries()].sort(([a], [b]) => a - b).map(([, w]) => w);
      // One entry per GPU keeps the lists aligned by GPU; a list with a gap is left out whole.
      const list = (pick: (w: GpuWindow) => Mean): number[] | undefined => {
        const values = ordered.map((w) => pick(w).value());
        return values.every((v) => v !== null) ? (values as number[]) : undefined;
      };
      const lists = {
        gpu_usage: list((w) => w.usage),
        gpu_memory_used: list((w) => w.memoryUsed),
        gpu_memory_free: list((w) => w.memoryFree),
        gpu_temperature: list((w) => w.temperature),
      };
      for (const [key, values] of Object.entries(lists)) if (values) stats[key as keyof typeof lists] = values;
    }
    return stats;
  }
}

/** Whether a GPU is among those a selection makes visible. */
export function isGpuVisible(gpu: GpuInfo, selection: GpuSelection | null | undefined): boolean {
  if (!selection || selection.kind === 'all') return true;
  if (selection.kind === 'none') return false;
  if (selection.kind === 'uuids') return selection.uuids.includes(gpu.uuid);
  return selection.devices.some((d) => d.index === gpu.index);
}

export function createMachineStatsSampler(options: MachineStatsSamplerOptions = {}): MachineStatsSampler {
  const ownsProbe = options.probe === undefined;
  const probe = options.probe ?? createSystemProbe();
  const diskPath = options.diskPath ?? os.homedir();
  const intervalMs = Math.max(250, options.sampleIntervalMs ?? 2000);
  const gpuIntervalMs = Math.max(intervalMs, options.gpuSampleIntervalMs ?? 10_000);
  const defaultUtilization = options.defaultGpuUtilization === undefined ? 100 : options.defaultGpuUtilization;
  const log = options.log ?? (() => undefined);
  const warned = new Set<string>();
  const warnOnce = (key: string, error: unknown): void => {
    if (warned.has(key)) return;
    warned.add(key);
    log(`machine stats: ${key} unavailable (${error instanceof Error ? error.message : String(error)}); reporting without it`);
  };

  let gpuQuery =
    options.visibleGpus?.kind === 'none' ? null : options.gpuQuery === undefined ? () => queryGpus() : options.gpuQuery;
  let gpuFailures = 0;
  let gpuInFlight = false;
  let lastGpuAt = 0;
  let latestGpus: GpuInfo[] | null = null;

  let window = new StatsWindow();
  let latest: MachineSample | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  // Monotonic, so a wall-clock jump cannot distort the per-second rates.
  let lastAt = performance.now();
  let lastCpu: CpuTimes | null = null;
  let lastNet: ByteCounters | null = null;
  let lastIo: DiskCounters | null = null;
  const baseline = Promise.all([
    probe.cpuTimes().then((c) => (lastCpu = c), (e: unknown) => warnOnce('CPU usage', e)),
    probe.network().then((n) => (lastNet = n), (e: unknown) => warnOnce('network', e)),
    probe.diskIo().then((d) => (lastIo = d), (e: unknown) => warnOnce('disk I/O', e)),
  ]);

  const settle = async <T>(key: string, p: Promise<T>): Promise<T | null> => {
    try {
      return await p;
    } catch (error) {
      warnOnce(key, error);
      return null;
    }
  };

  async function sampleGpus(target: StatsWindow): Promise<void> {
    if (!gpuQuery || gpuInFlight) return;
    gpuInFlight = true;
    lastGpuAt = Date.now();
    try {
      const gpus = await gpuQuery();
      if (gpus === null) {
        log('machine stats: nvidia-smi not found; no GPU stats');
        gpuQuery = null;
        return;
      }
      gpuFailures = 0;
      latestGpus = gpus;
      if (stopped) return;
      for (const gpu of gpus) if (isGpuVisible(gpu, options.visibleGpus)) target.addGpu(gpu, defaultUtilization);
    } catch (error) {
      gpuFailures += 1;
      // As clearml-agent: three failures in a row and GPU monitoring is off for this run.
      if (gpuFailures >= 3) {
        log(`machine stats: GPU query failed 3 times in a row, GPU stats disabled: ${error instanceof Error ? error.message : String(error)}`);
        gpuQuery = null;
      }
    } finally {
      gpuInFlight = false;
    }
  }

  async function sampleSystem(target: StatsWindow): Promise<void> {
    await baseline;
    const now = Date.now();
    const tick = performance.now();
    const elapsed = tick - lastAt;
    lastAt = tick;
    const [cpuNow, mem, diskFree, net, io, temp] = await Promise.all([
      settle('CPU usage', probe.cpuTimes()),
      settle('memory', probe.memory()),
      settle('disk free', probe.diskFreePercent(diskPath)),
      settle('network', probe.network()),
      settle('disk I/O', probe.diskIo()),
      settle('CPU temperature', probe.cpuTemperature()),
    ]);
    const cpuUsage = cpuNow && lastCpu ? cpuUsagePercent(lastCpu, cpuNow) : null;
    const sample: MachineSample = {
      at: new Date(now),
      cpuUsage,
      cpuTemperature: temp,
      memoryUsedMB: mem?.usedMiB ?? null,
      memoryFreeMB: mem?.availableMiB ?? null,
      diskFreePercent: diskFree,
      diskReadMBps: io && lastIo ? ratePerSecondMB(lastIo.readBytes, io.readBytes, elapsed) : null,
      diskWriteMBps: io && lastIo ? ratePerSecondMB(lastIo.writeBytes, io.writeBytes, elapsed) : null,
      networkRxMBps: net && lastNet ? ratePerSecondMB(lastNet.rxBytes, net.rxBytes, elapsed) : null,
      networkTxMBps: net && lastNet ? ratePerSecondMB(lastNet.txBytes, net.txBytes, elapsed) : null,
    };
    // /proc/stat ticks at 100 Hz: a reading too soon after the last one keeps the old baseline.
    if (cpuNow && (cpuUsage !== null || lastCpu === null)) lastCpu = cpuNow;
    if (net) lastNet = net;
    if (io) lastIo = io;
    latest = sample;
    if (stopped) return;
    target.samples += 1;
    target.cpu.add(sample.cpuUsage);
    target.cpuTemp.add(sample.cpuTemperature);
    target.memUsed.add(sample.memoryUsedMB);
    target.memFree.add(sample.memoryFreeMB);
    target.diskFree.add(sample.diskFreePercent);
    target.diskRead.add(sample.diskReadMBps);
    target.diskWrite.add(sample.diskWriteMBps);
    target.netRx.add(sample.networkRxMBps);
    target.netTx.add(sample.networkTxMBps);
  }

  // System samples run one after another (their rates are deltas against the previous one).
  let systemChain: Promise<void> = Promise.resolve();
  let inFlight: Promise<unknown> = Promise.resolve();
  async function sample(forceGpu: boolean): Promise<void> {
    if (stopped) return;
    // Samples land in the window that was current when they started.
    const target = window;
    const gpuDue = forceGpu || Date.now() - lastGpuAt >= gpuIntervalMs;
    systemChain = systemChain.then(() => sampleSystem(target)).catch((e: unknown) => warnOnce('system sample', e));
    const run = Promise.all([systemChain, gpuDue ? sampleGpus(target) : Promise.resolve()]);
    inFlight = Promise.all([inFlight, run]).catch(() => undefined);
    await run;
  }

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      sample(false)
        .catch((e: unknown) => warnOnce('sample', e))
        .finally(schedule);
    }, intervalMs);
    // The sampler alone never keeps the process alive.
    timer.unref();
  };
  schedule();

  return {
    sampleNow: () => sample(true),
    takeReport() {
      const report = window.report();
      window = new StatsWindow();
      return report;
    },
    peekReport: () => window.report(),
    latest: () => latest,
    latestGpus: () => latestGpus,
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      // Let a sample in flight finish with its files before they are closed.
      if (ownsProbe) void inFlight.finally(() => probe.close());
    },
  };
}
