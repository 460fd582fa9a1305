// Pure parsers for the Linux counter files the sampler reads. They replace systeminformation's
// currentLoad/networkStats/fsSize on Linux, which run shell commands (partly with execSync,
// blocking the event loop) on every call: ~34 ms of CPU per sample against ~1 ms for these.

export interface ByteCounters {
  rxBytes: number;
  txBytes: number;
}

/** `/proc/net/dev`: bytes received/sent summed over all interfaces except loopback. */
export function parseProcNetDev(text: string): ByteCounters {
  let rxBytes = 0;
  let txBytes = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    // Loopback traffic (e.g. to the embedded server) is not machine network load.
    if (iface === 'lo' || iface === '') continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    // receive: bytes packets errs drop fifo frame compressed multicast | transmit: bytes …
    rxBytes += fields[0] ?? 0;
    txBytes += fields[8] ?? 0;
  }
  return { rxBytes, txBytes };
}

export interface DiskCounters {
  readBytes: number;
  writeBytes: number;
}

/**
 * `/proc/diskstats` for the given whole-disk devices (partitions would count twice). Sector
 * counts there are always in 512-byte units, whatever the device's sector size.
 */
export function parseProcDiskstats(text: string, devices: ReadonlySet<string>): DiskCounters {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const name = fields[2];
    if (name === undefined || !devices.has(name)) continue;
    readBytes += Number(fields[5] ?? 0) * 512;
    writeBytes += Number(fields[9] ?? 0) * 512;
  }
  return { readBytes, writeBytes };
}

/** MB/s (MiB, as clearml-agent's psutil figures) between two counter readings. */
export function ratePerSecondMB(previous: number, current: number, elapsedMs: number): number | null {
  if (elapsedMs <= 0 || current < previous) return null; // counter reset (interface re-created)
  return (current - previous) / (1024 * 1024) / (elapsedMs / 1000);
}

export interface CpuTimes {
  idle: number;
  total: number;
}

/**
 * First line of `/proc/stat` (all cores): user nice system idle iowait irq softirq steal …
 * Waiting for I/O counts as idle, as psutil counts it; guest time is already inside user.
 */
export function parseProcStatCpu(text: string): CpuTimes | null {
  const line = text.split('\n', 1)[0] ?? '';
  if (!line.startsWith('cpu ')) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .slice(4)
    .trim()
    .split(/\s+/)
    .map(Number);
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Busy share in percent between two aggregate CPU time readings (= mean over cores). */
export function cpuUsagePercent(previous: CpuTimes, current: CpuTimes): number | null {
  const total = current.total - previous.total;
  const idle = current.idle - previous.idle;
  if (total <= 0) return null;
  return Math.min(100, Math.max(0, ((total - idle) / total) * 100));
}

/** psutil's disk_usage: free share of what an unprivileged user can use. */
export function diskFreePercent(fs: { blocks: number; bfree: number; bavail: number }): number | null {
  const used = fs.blocks - fs.bfree;
  const usable = used + fs.bavail;
  return usable > 0 ? (fs.bavail / usable) * 100 : null;
}
