// Pure parsers for what nvidia-smi prints. Tested against real H200 recordings.

/**
 * The `--query-gpu` fields we ask for, in this order. Exactly the list the fixtures in
 * shared/fixtures/nvidia-smi/h200 were recorded with, so parsing is proven on real output.
 */
export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'memory.free',
  'utilization.gpu',
  'utilization.memory',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'pci.bus_id',
  'mig.mode.current',
  'driver_version',
  'compute_cap',
] as const;

export const COMPUTE_APPS_FIELDS = ['pid', 'process_name', 'used_memory', 'gpu_uuid'] as const;

export interface GpuInfo {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  memoryFreeMiB: number | null;
  /** Percent; null where the device cannot say (MIG, `[N/A]`). */
  utilizationGpu: number | null;
  utilizationMemory: number | null;
  temperatureC: number | null;
  powerDrawW: number | null;
  powerLimitW: number | null;
  pciBusId: string | null;
  /** `Enabled` / `Disabled`, null when the GPU has no MIG support. */
  migMode: string | null;
  driverVersion: string | null;
  computeCap: string | null;
}

export interface GpuProcess {
  pid: number;
  processName: string;
  usedMemoryMiB: number | null;
  gpuUuid: string;
}

export class NvidiaSmiParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NvidiaSmiParseError';
  }
}

export type CsvRecord = Record<string, string | null>;

/** `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `N/A` …: nvidia-smi's ways of saying "no value". */
function normaliseValue(raw: string, unit: string | null): string | null {
  let value = raw.trim();
  if (value === '' || value === 'N/A' || /^\[.*\]$/.test(value)) return null;
  if (unit && value.endsWith(` ${unit}`)) value = value.slice(0, -unit.length - 1).trim();
  return value;
}

function splitRow(line: string, fieldCount: number, absorbField: number): string[] {
  const parts = line.split(',');
  if (parts.length <= fieldCount || absorbField < 0) return parts;
  // A process name or GPU name may itself contain commas: give the surplus to that column.
  const extra = parts.length - fieldCount;
  return [
    ...parts.slice(0, absorbField),
    parts.slice(absorbField, absorbField + extra + 1).join(','),
    ...parts.slice(absorbField + extra + 1),
  ];
}

/**
 * Any `--format=csv[,noheader][,nounits]` output. With a header line (`index, memory.total [MiB]`)
 * fields and units come from it; without one, `fields` names the columns.
 */
export function parseNvidiaSmiCsv(text: string, fields?: readonly string[]): CsvRecord[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let names: string[];
  let units: (string | null)[];
  if (fields) {
    names = [...fields];
    units = names.map(() => null);
  } else {
    const header = lines.shift();
    if (header === undefined) return [];
    names = [];
    units = [];
    for (const column of header.split(',')) {
      const m = /^\s*([^[]+?)\s*(?:\[(.+)\])?\s*$/.exec(column);
      names.push(m?.[1] ?? column.trim());
      const unit = m?.[2] ?? null;
      // `%` columns print "100 %"; other units print "143771 MiB".
      units.push(unit);
    }
  }
  const absorb = names.findIndex((n) => n === 'process_name' || n === 'name');
  return lines.map((line, i) => {
    const parts = splitRow(line, names.length, absorb);
    if (parts.length !== names.length) {
      throw new NvidiaSmiParseError(
        `nvidia-smi CSV line ${i + 1} has ${parts.length} columns, expected ${names.length} (${names.join(', ')}): ${line}`,
      );
    }
    const record: CsvRecord = {};
    names.forEach((name, col) => {
      record[name] = normaliseValue(parts[col] ?? '', units[col] ?? null);
    });
    return record;
  });
}

function num(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function required(record: CsvRecord, field: string, line: number): string {
  const value = record[field];
  if (value === null || value === undefined) {
    throw new NvidiaSmiParseError(`nvidia-smi --query-gpu row ${line} has no ${field}`);
  }
  return value;
}

/** `--query-gpu=<GPU_QUERY_FIELDS>` output, with or without header and units. */
export function parseGpuQueryCsv(text: string): GpuInfo[] {
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const hasHeader = /^\s*index\s*,/.test(firstLine);
  const records = parseNvidiaSmiCsv(text, hasHeader ? undefined : GPU_QUERY_FIELDS);
  return records.map((r, i) => {
    const index = num(required(r, 'index', i + 1));
    if (index === null) throw new NvidiaSmiParseError(`nvidia-smi --query-gpu row ${i + 1}: index "${r.index}" is not a number`);
    return {
      index,
      uuid: required(r, 'uuid', i + 1),
      name: r.name ?? '',
      memoryTotalMiB: num(r['memory.total']),
      memoryUsedMiB: num(r['memory.used']),
      memoryFreeMiB: num(r['memory.free']),
      utilizationGpu: num(r['utilization.gpu']),
      utilizationMemory: num(r['utilization.memory']),
      temperatureC: num(r['temperature.gpu']),
      powerDrawW: num(r['power.draw']),
      powerLimitW: num(r['power.limit']),
      pciBusId: r['pci.bus_id'] ?? null,
      migMode: r['mig.mode.current'] ?? null,
      driverVersion: r.driver_version ?? null,
      computeCap: r.compute_cap ?? null,
    };
  });
}

/** `--query-compute-apps=pid,process_name,used_memory,gpu_uuid --format=csv,noheader,nounits`. */
export function parseComputeAppsCsv(text: string): GpuProcess[] {
  return parseNvidiaSmiCsv(text, COMPUTE_APPS_FIELDS).map((r, i) => {
    const pid = num(r.pid);
    if (pid === null || r.gpu_uuid === null || r.gpu_uuid === undefined) {
      throw new NvidiaSmiParseError(`nvidia-smi --query-compute-apps row ${i + 1} lacks pid or gpu_uuid`);
    }
    return { pid, processName: r.process_name ?? '', usedMemoryMiB: num(r.used_memory), gpuUuid: r.gpu_uuid };
  });
}

export interface GpuListEntry {
  index: number;
  name: string;
  uuid: string;
  migDevices: { index: number; profile: string; uuid: string }[];
}

/** `nvidia-smi -L`: `GPU 0: NVIDIA H200 (UUID: GPU-…)`, MIG children indented below. */
export function parseGpuList(text: string): GpuListEntry[] {
  const gpus: GpuListEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const gpu = /^GPU (\d+): (.+?) \(UUID: (GPU-[^)]+)\)\s*$/.exec(line);
    if (gpu) {
      gpus.push({ index: Number(gpu[1]), name: gpu[2] ?? '', uuid: gpu[3] ?? '', migDevices: [] });
      continue;
    }
    const mig = /^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[^)]+)\)\s*$/.exec(line);
    const parent = gpus[gpus.length - 1];
    if (mig && parent) parent.migDevices.push({ index: Number(mig[2]), profile: mig[1] ?? '', uuid: mig[3] ?? '' });
  }
  return gpus;
}

/** Driver and CUDA version from the banner of plain `nvidia-smi`. */
export function parseSmiBanner(text: string): { driverVersion: string | null; cudaVersion: string | null } {
  return {
    driverVersion: /Driver Version:\s*([\d.]+)/.exec(text)?.[1] ?? null,
    cudaVersion: /CUDA Version:\s*([\d.]+)/.exec(text)?.[1] ?? null,
  };
}

export interface SmiXmlSummary {
  driverVersion: string | null;
  cudaVersion: string | null;
  attachedGpus: number | null;
  gpus: {
    pciBusId: string;
    name: string | null;
    uuid: string | null;
    minorNumber: number | null;
    migMode: string | null;
    processes: { pid: number; processName: string; usedMemoryMiB: number | null }[];
  }[];
}

function xmlTag(text: string, tag: string): string | null {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text);
  const value = m?.[1]?.trim();
  return value === undefined || value === '' || value === 'N/A' ? null : value;
}

/**
 * The few facts we need from `nvidia-smi -q -x`. The document is flat and machine-written, so
 * tag matching is enough; no XML library for ~10 fields.
 */
export function parseSmiXml(text: string): SmiXmlSummary {
  const gpus: SmiXmlSummary['gpus'] = [];
  const gpuBlocks = text.matchAll(/<gpu id="([^"]+)">([\s\S]*?)<\/gpu>/g);
  for (const [, pciBusId, body = ''] of gpuBlocks) {
    const processes = [...body.matchAll(/<process_info>([\s\S]*?)<\/process_info>/g)].map(([, p = '']) => ({
      pid: Number(xmlTag(p, 'pid')),
      processName: xmlTag(p, 'process_name') ?? '',
      usedMemoryMiB: num(xmlTag(p, 'used_memory')?.replace(/\s*MiB$/, '')),
    }));
    gpus.push({
      pciBusId: pciBusId ?? '',
      name: xmlTag(body, 'product_name'),
      uuid: xmlTag(body, 'uuid'),
      minorNumber: num(xmlTag(body, 'minor_number')),
      migMode: xmlTag(body, 'current_mig'),
      processes,
    });
  }
  return {
    driverVersion: xmlTag(text, 'driver_version'),
    cudaVersion: xmlTag(text, 'cuda_version'),
    attachedGpus: num(xmlTag(text, 'attached_gpus')),
    gpus,
  };
}
