export {
  createMachineStatsSampler,
  isGpuVisible,
  type MachineSample,
  type MachineStats,
  type MachineStatsSampler,
  type MachineStatsSamplerOptions,
} from './machine-stats-sampler.js';
export { createSystemProbe, type SystemProbe } from './system-probe.js';
export {
  cpuUsagePercent,
  diskFreePercent,
  parseProcDiskstats,
  parseProcNetDev,
  parseProcStatCpu,
  ratePerSecondMB,
  type ByteCounters,
  type CpuTimes,
  type DiskCounters,
} from './linux-counters.js';
