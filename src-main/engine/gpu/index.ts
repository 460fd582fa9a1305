export {
  GpuSpecError,
  formatGpuDevices,
  parseCudaVisibleDevices,
  parseGpuSpec,
  parseNvidiaVisibleDevices,
  resolveGpuSelection,
  type GpuDevice,
  type GpuSelection,
  type VisibleDevice,
  type VisibleDevices,
} from './gpu-spec.js';
export { applyGpuEnv, dockerGpusFlag, gpuEnvFor, type GpuEnv } from './gpu-env.js';
export {
  COMPUTE_APPS_FIELDS,
  GPU_QUERY_FIELDS,
  NvidiaSmiParseError,
  parseComputeAppsCsv,
  parseGpuList,
  parseGpuQueryCsv,
  parseNvidiaSmiCsv,
  parseSmiBanner,
  parseSmiXml,
  type CsvRecord,
  type GpuInfo,
  type GpuListEntry,
  type GpuProcess,
  type SmiXmlSummary,
} from './nvidia-smi-parse.js';
export {
  GpuQueryError,
  queryDriverVersions,
  queryGpuProcesses,
  queryGpus,
  type NvidiaSmiOptions,
} from './nvidia-smi-query.js';
export {
  DynamicGpuSpecError,
  GPU_FRACTION_STEP,
  parseDynamicQueueEntry,
  parseDynamicQueueSpec,
  type DynamicQueueSpec,
} from './dynamic-queue-spec.js';
export { GpuSlotAllocator, planNextPull, type GpuRequest, type GpuSlot, type GpuUsage } from './gpu-slot-allocator.js';
export { busyGpusByForeignProcesses } from './foreign-processes.js';
export { dynamicGpuIndices } from './dynamic-gpus.js';
