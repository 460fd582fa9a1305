// Reads the machine's counters, cheaply and without blocking: /proc files and Node built-ins on
// Linux (about 1 ms of CPU per sample), systeminformation where Node has no equivalent (macOS
// memory, network off Linux).
import { access, open, readdir, readFile, statfs, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  diskFreePercent,
  parseProcDiskstats,
  parseProcNetDev,
  parseProcStatCpu,
  type ByteCounters,
  type CpuTimes,
  type DiskCounters,
} from './linux-counters.js';

export interface SystemProbe {
  cpuTimes(): Promise<CpuTimes>;
  /** MiB. */
  memory(): Promise<{ usedMiB: number; availableMiB: number }>;
  diskFreePercent(diskPath: string): Promise<number | null>;
  network(): Promise<ByteCounters | null>;
  diskIo(): Promise<DiskCounters | null>;
  /** Hottest CPU sensor in °C, null when the machine exposes none. */
  cpuTemperature(): Promise<number | null>;
  /** Closes the files kept open between samples. */
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
const isLinux = process.platform === 'linux';

/** Aggregate CPU times over all cores, from os.cpus() where there is no /proc/stat. */
function cpuTimesFromOs(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** Whole physical disks (those with a `device` link), so loop, zram, dm and md are left out. */
export async function physicalDisks(sysBlock = '/sys/block'): Promise<Set<string>> {
  const names = await readdir(sysBlock).catch(() => [] as string[]);
  const disks = new Set<string>();
  for (const name of names) {
    if (await access(path.join(sysBlock, name, 'device')).then(() => true, () => false)) disks.add(name);
  }
  return disks;
}

const CPU_SENSOR_DRIVERS = new Set(['coretemp', 'k10temp', 'zenpower', 'cpu_thermal']);

/** `temp*_input` files of CPU sensor drivers under /sys/class/hwmon. */
export async function cpuTemperatureInputs(hwmonRoot = '/sys/class/hwmon'): Promise<string[]> {
  const inputs: string[] = [];
  for (const hwmon of await readdir(hwmonRoot).catch(() => [] as string[])) {
    const dir = path.join(hwmonRoot, hwmon);
    const name = (await readFile(path.join(dir, 'name'), 'utf8').catch(() => '')).trim();
    if (!CPU_SENSOR_DRIVERS.has(name)) continue;
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      if (/^temp\d+_input$/.test(file)) inputs.push(path.join(dir, file));
    }
  }
  return inputs;
}

export async function readMaxTemperature(inputs: readonly (string | KernelFile)[]): Promise<number | null> {
  let max: number | null = null;
  for (const input of inputs) {
    const text = typeof input === 'string' ? await readFile(input, 'utf8').catch(() => '') : await input.read().catch(() => '');
    const milli = Number(text.trim());
    if (text.trim() !== '' && Number.isFinite(milli) && milli > 0) max = Math.max(max ?? 0, milli / 1000);
  }
  return max;
}

/**
 * Re-reads a /proc or /sys file through one open handle: the kernel regenerates the text on
 * every read at offset 0, and skipping open/fstat/close per sample halves the sampler's cost.
 */
export class KernelFile {
  private handle: Promise<FileHandle> | null = null;
  private buffer = Buffer.alloc(16 * 1024);

  constructor(private readonly file: string) {}

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.then((h) => h.close(), () => undefined);
  }

  async read(): Promise<string> {
    this.handle ??= open(this.file, 'r');
    try {
      const handle = await this.handle;
      for (;;) {
        const { bytesRead } = await handle.read(this.buffer, 0, this.buffer.length, 0);
        if (bytesRead < this.buffer.length) return this.buffer.toString('utf8', 0, bytesRead);
        this.buffer = Buffer.alloc(this.buffer.length * 2);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }
}

export function createSystemProbe(): SystemProbe {
  let disks: Promise<Set<string>> | null = null;
  let temperatureInputs: Promise<KernelFile[]> | null = null;
  const procStat = new KernelFile('/proc/stat');
  const procNetDev = new KernelFile('/proc/net/dev');
  const procDiskstats = new KernelFile('/proc/diskstats');
  return {
    async cpuTimes() {
      if (!isLinux) return cpuTimesFromOs();
      return parseProcStatCpu(await procStat.read()) ?? cpuTimesFromOs();
    },
    async memory() {
      // Node reports MemAvailable on Linux and available memory on Windows; on macOS it only
      // counts free pages, which reads as "full" on any busy Mac.
      if (process.platform === 'darwin') {
        const mem = await (await loadSystemInformation()).mem();
        return { usedMiB: (mem.total - mem.available) / MIB, availableMiB: mem.available / MIB };
      }
      const total = os.totalmem();
      const available = os.freemem();
      return { usedMiB: (total - available) / MIB, availableMiB: available / MIB };
    },
    async diskFreePercent(diskPath) {
      return diskFreePercent(await statfs(diskPath));
    },
    async network() {
      if (isLinux) return parseProcNetDev(await procNetDev.read());
      const stats = await (await loadSystemInformation()).networkStats();
      return stats.reduce((sum, s) => ({ rxBytes: sum.rxBytes + s.rx_bytes, txBytes: sum.txBytes + s.tx_bytes }), { rxBytes: 0, txBytes: 0 });
    },
    async diskIo() {
      if (!isLinux) return null;
      disks ??= physicalDisks();
      return parseProcDiskstats(await procDiskstats.read(), await disks);
    },
    async cpuTemperature() {
      if (!isLinux) return null;
      temperatureInputs ??= cpuTemperatureInputs().then((files) => files.map((f) => new KernelFile(f)));
      return readMaxTemperature(await temperatureInputs);
    },
    async close() {
      const sensors = temperatureInputs ? await temperatureInputs : [];
      temperatureInputs = null;
      await Promise.all([procStat, procNetDev, procDiskstats, ...sensors].map((f) => f.close()));
    },
  };
}

/**
 * systeminformation is loaded only where /proc cannot answer (macOS, Windows): on Linux the
 * daemon reads /proc directly and should not pay the module's memory at idle.
 */
async function loadSystemInformation(): Promise<typeof import('systeminformation')> {
  const module = await import('systeminformation');
  return (module as { default?: typeof import('systeminformation') }).default ?? module;
}
