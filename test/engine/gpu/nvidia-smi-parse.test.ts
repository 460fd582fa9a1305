import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  NvidiaSmiParseError,
  parseComputeAppsCsv,
  parseGpuList,
  parseGpuQueryCsv,
  parseNvidiaSmiCsv,
  parseSmiBanner,
  parseSmiXml,
  type GpuInfo,
} from '../../../src-main/engine/gpu/index.js';
import { H200_RECORDINGS_DIR } from '../../helpers/fake-nvidia-smi/index.js';

const recording = (name: string) => readFileSync(path.join(H200_RECORDINGS_DIR, name), 'utf8');
const UUID = 'GPU-973e273e-b80d-2855-1aaa-8da3be6443a7';

const constant = {
  index: 0,
  uuid: UUID,
  name: 'NVIDIA H200',
  memoryTotalMiB: 143771,
  powerLimitW: 700,
  pciBusId: '00000000:00:06.0',
  migMode: 'Disabled',
  driverVersion: '580.159.04',
  computeCap: '9.0',
};

const idle: Partial<GpuInfo> = { ...constant, memoryUsedMiB: 0, memoryFreeMiB: 143156, utilizationGpu: 0, utilizationMemory: 0, temperatureC: 38 };
const busy: Partial<GpuInfo> = { ...constant, memoryUsedMiB: 4723, memoryFreeMiB: 138434, utilizationGpu: 100, utilizationMemory: 21, temperatureC: 62 };

describe('parseGpuQueryCsv on the H200 recordings', () => {
  it.each([
    ['query-gpu-noheader-idle.csv', { ...idle, powerDrawW: 80.18 }],
    ['query-gpu-noheader-busy.csv', { ...busy, powerDrawW: 694.23 }],
    // With header and units ("143771 MiB", "100 %", "695.80 W"): the same numbers.
    ['query-gpu-idle.csv', { ...idle, powerDrawW: 80.19 }],
    ['query-gpu-busy.csv', { ...busy, powerDrawW: 695.8 }],
  ])('%s', (file, expected) => {
    const gpus = parseGpuQueryCsv(recording(file));
    expect(gpus).toHaveLength(1);
    expect(gpus[0]).toEqual(expected);
  });

  it('turns [N/A] and [Not Supported] into null, keeps the row', () => {
    const line = `1, ${UUID}, NVIDIA A100-SXM4-40GB, 40960, [N/A], [N/A], [N/A], [Not Supported], 31, [Unknown Error], 400.00, 00000000:07:00.0, Enabled, 535.54.03, 8.0\n`;
    const [gpu] = parseGpuQueryCsv(line);
    expect(gpu).toMatchObject({ index: 1, memoryUsedMiB: null, utilizationGpu: null, utilizationMemory: null, powerDrawW: null, migMode: 'Enabled', temperatureC: 31 });
  });

  it('parses several GPUs and a GPU name containing a comma', () => {
    const text = [
      `0, GPU-a, Tesla V100, PCIe, 16384, 1, 16383, 5, 0, 40, 30.5, 250.00, 00000000:01:00.0, [N/A], 535.54.03, 7.0`,
      `1, GPU-b, Tesla V100, 16384, 2, 16382, 7, 1, 41, 31.5, 250.00, 00000000:02:00.0, [N/A], 535.54.03, 7.0`,
    ].join('\n');
    const gpus = parseGpuQueryCsv(text);
    expect(gpus.map((g) => [g.index, g.uuid, g.name, g.migMode])).toEqual([
      [0, 'GPU-a', 'Tesla V100, PCIe', null],
      [1, 'GPU-b', 'Tesla V100', null],
    ]);
  });

  it('reports a row with the wrong number of columns', () => {
    expect(() => parseGpuQueryCsv('0, GPU-a, 3\n')).toThrow(NvidiaSmiParseError);
    expect(() => parseGpuQueryCsv('0, GPU-a, 3\n')).toThrow(/line 1 has 3 columns, expected 15/);
  });

  it('returns no GPUs for empty output', () => {
    expect(parseGpuQueryCsv('')).toEqual([]);
  });
});

describe('parseNvidiaSmiCsv on the systeminformation-query recordings', () => {
  const fields = 'driver_version,pci.sub_device_id,name,pci.bus_id,fan.speed,memory.total,memory.used,memory.free,utilization.gpu,utilization.memory,temperature.gpu,temperature.memory,power.draw,power.limit,clocks.gr,clocks.mem'.split(',');
  it.each([
    ['query-gpu-systeminformation-idle.csv', { 'utilization.gpu': '0', 'temperature.gpu': '38', 'clocks.gr': '345' }],
    ['query-gpu-systeminformation-busy.csv', { 'utilization.gpu': '100', 'temperature.gpu': '62', 'clocks.gr': '1965' }],
  ])('%s: fan.speed [N/A] is null', (file, expected) => {
    const [row] = parseNvidiaSmiCsv(recording(file), fields);
    expect(row).toMatchObject({ ...expected, 'fan.speed': null, name: 'NVIDIA H200', 'memory.total': '143771', 'pci.sub_device_id': '0x18BF10DE' });
  });
});

describe('parseComputeAppsCsv', () => {
  it('busy recording: the PyTorch process on GPU 0', () => {
    expect(parseComputeAppsCsv(recording('compute-apps-busy.csv'))).toEqual([
      { pid: 646, processName: '/opt/torch/.venv/bin/python3', usedMemoryMiB: 4714, gpuUuid: UUID },
    ]);
  });

  it('idle recording is an empty file: no processes', () => {
    expect(recording('compute-apps-idle.csv')).toBe('');
    expect(parseComputeAppsCsv(recording('compute-apps-idle.csv'))).toEqual([]);
  });

  it('keeps commas inside a process name and null memory for [N/A]', () => {
    expect(parseComputeAppsCsv('12, /opt/a,b/python, [N/A], GPU-x\n')).toEqual([
      { pid: 12, processName: '/opt/a,b/python', usedMemoryMiB: null, gpuUuid: 'GPU-x' },
    ]);
  });
});

describe('text and XML outputs', () => {
  it('nvidia-smi -L', () => {
    expect(parseGpuList(recording('nvidia-smi-L.txt'))).toEqual([{ index: 0, name: 'NVIDIA H200', uuid: UUID, migDevices: [] }]);
  });

  it('nvidia-smi -L with MIG devices', () => {
    const text = `GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaa)\n  MIG 3g.20gb     Device  0: (UUID: MIG-bbb)\n  MIG 3g.20gb     Device  1: (UUID: MIG-ccc)\nGPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-ddd)\n`;
    expect(parseGpuList(text)).toEqual([
      { index: 0, name: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-aaa', migDevices: [{ index: 0, profile: '3g.20gb', uuid: 'MIG-bbb' }, { index: 1, profile: '3g.20gb', uuid: 'MIG-ccc' }] },
      { index: 1, name: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-ddd', migDevices: [] },
    ]);
  });

  it.each(['nvidia-smi-idle.txt', 'nvidia-smi-busy.txt'])('banner of %s', (file) => {
    expect(parseSmiBanner(recording(file))).toEqual({ driverVersion: '580.159.04', cudaVersion: '13.0' });
  });

  it.each([
    ['nvidia-smi-q-idle.xml', []],
    ['nvidia-smi-q-busy.xml', [{ pid: 646, processName: '/opt/torch/.venv/bin/python3', usedMemoryMiB: 4714 }]],
  ])('-q -x: %s', (file, processes) => {
    expect(parseSmiXml(recording(file))).toEqual({
      driverVersion: '580.159.04',
      cudaVersion: '13.0',
      attachedGpus: 1,
      gpus: [{ pciBusId: '00000000:00:06.0', name: 'NVIDIA H200', uuid: UUID, minorNumber: 0, migMode: 'Disabled', processes }],
    });
  });
});
