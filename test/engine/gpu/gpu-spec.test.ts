import { describe, expect, it } from 'vitest';
import {
  GpuSpecError,
  parseCudaVisibleDevices,
  parseGpuSpec,
  parseNvidiaVisibleDevices,
  resolveGpuSelection,
} from '../../../src-main/engine/gpu/index.js';

const whole = (...indices: number[]) => indices.map((index) => ({ index, mig: null }));

describe('parseGpuSpec (--gpus)', () => {
  it.each([
    ['0', { kind: 'list', devices: whole(0), spec: '0' }],
    ['0,1', { kind: 'list', devices: whole(0, 1), spec: '0,1' }],
    [' 0, 2 ', { kind: 'list', devices: whole(0, 2), spec: '0,2' }],
    ['0-3', { kind: 'list', devices: whole(0, 1, 2, 3), spec: '0-3' }],
    ['0-1,3', { kind: 'list', devices: whole(0, 1, 3), spec: '0-1,3' }],
    ['2-2', { kind: 'list', devices: whole(2), spec: '2-2' }],
    ['all', { kind: 'all' }],
    ['ALL', { kind: 'all' }],
    ['0:1', { kind: 'list', devices: [{ index: 0, mig: 1 }], spec: '0:1' }],
    ['0:1,1:0', { kind: 'list', devices: [{ index: 0, mig: 1 }, { index: 1, mig: 0 }], spec: '0:1,1:0' }],
  ])('%j', (text, expected) => {
    expect(parseGpuSpec(text)).toEqual(expected);
  });

  it.each([
    ['0-', /--gpus "0-": "0-" is not a range of GPU indices; expected "all"/],
    ['', /--gpus "": the value is empty/],
    ['3-1', /range "3-1" runs backwards \(write 1-3\)/],
    ['0,,1', /empty entry between commas/],
    ['0,0', /GPU 0 is listed twice/],
    ['0-2,1', /GPU 1 is listed twice/],
    ['gpu0', /"gpu0" is not a GPU index/],
    ['-1', /"-1" is not a range of GPU indices/],
    ['0:1:2', /"0:1:2" is not a GPU index/],
  ])('rejects %j with a message naming it', (text, message) => {
    expect(() => parseGpuSpec(text)).toThrow(GpuSpecError);
    expect(() => parseGpuSpec(text)).toThrow(message);
  });
});

describe('parseNvidiaVisibleDevices', () => {
  it.each([
    [undefined, { kind: 'unset' }],
    ['all', { kind: 'all' }],
    ['none', { kind: 'none' }],
    ['void', { kind: 'none' }],
    ['', { kind: 'none' }],
    ['0,1', { kind: 'list', devices: [{ kind: 'index', index: 0, mig: null }, { kind: 'index', index: 1, mig: null }] }],
    ['0:2', { kind: 'list', devices: [{ kind: 'index', index: 0, mig: 2 }] }],
    [
      'GPU-973e273e-b80d-2855-1aaa-8da3be6443a7',
      { kind: 'list', devices: [{ kind: 'uuid', uuid: 'GPU-973e273e-b80d-2855-1aaa-8da3be6443a7' }] },
    ],
  ])('%j', (value, expected) => {
    expect(parseNvidiaVisibleDevices(value)).toEqual(expected);
  });

  it('names the variable and the bad entry', () => {
    expect(() => parseNvidiaVisibleDevices('0,x')).toThrow(/NVIDIA_VISIBLE_DEVICES="0,x": "x" is neither/);
  });
});

describe('parseCudaVisibleDevices (CUDA semantics)', () => {
  it.each([
    [undefined, { kind: 'unset' }],
    ['', { kind: 'none' }],
    ['-1', { kind: 'none' }],
    ['none', { kind: 'none' }],
    ['all', { kind: 'all' }],
    ['1,0', { kind: 'list', devices: [{ kind: 'index', index: 1, mig: null }, { kind: 'index', index: 0, mig: null }] }],
    // CUDA stops at the first entry it cannot use: everything after it is hidden too.
    ['0,-1,1', { kind: 'list', devices: [{ kind: 'index', index: 0, mig: null }] }],
    ['MIG-4b1e3c6a-1d2f-5e7a-8b9c-0d1e2f3a4b5c', { kind: 'list', devices: [{ kind: 'uuid', uuid: 'MIG-4b1e3c6a-1d2f-5e7a-8b9c-0d1e2f3a4b5c' }] }],
  ])('%j', (value, expected) => {
    expect(parseCudaVisibleDevices(value)).toEqual(expected);
  });
});

describe('resolveGpuSelection (precedence)', () => {
  it.each([
    ['nothing set', {}, null],
    ['--cpu-only beats --gpus', { cpuOnly: true, gpusFlag: '0' }, { kind: 'none' }],
    ['CLEARML_CPU_ONLY=1', { env: { CLEARML_CPU_ONLY: '1' } }, { kind: 'none' }],
    ['--gpus beats env', { gpusFlag: '1', env: { NVIDIA_VISIBLE_DEVICES: '0' } }, { kind: 'list', devices: whole(1), spec: '1' }],
    ['NVIDIA_VISIBLE_DEVICES', { env: { NVIDIA_VISIBLE_DEVICES: '0,1', CUDA_VISIBLE_DEVICES: '3' } }, { kind: 'list', devices: whole(0, 1), spec: '0,1' }],
    ['CUDA_VISIBLE_DEVICES alone', { env: { CUDA_VISIBLE_DEVICES: '2' } }, { kind: 'list', devices: whole(2), spec: '2' }],
    ['NVIDIA_VISIBLE_DEVICES=none', { env: { NVIDIA_VISIBLE_DEVICES: 'none' } }, { kind: 'none' }],
    ['NVIDIA_VISIBLE_DEVICES=all', { env: { NVIDIA_VISIBLE_DEVICES: 'all' } }, { kind: 'all' }],
    ['UUIDs', { env: { NVIDIA_VISIBLE_DEVICES: 'GPU-abc-1' } }, { kind: 'uuids', uuids: ['GPU-abc-1'] }],
  ] as const)('%s', (_name, opts, expected) => {
    expect(resolveGpuSelection(opts)).toEqual(expected);
  });

  it('rejects a mix of indices and UUIDs, naming the variable', () => {
    expect(() => resolveGpuSelection({ env: { NVIDIA_VISIBLE_DEVICES: '0,GPU-abc' } })).toThrow(
      /NVIDIA_VISIBLE_DEVICES="0,GPU-abc": mixes GPU indices and UUIDs/,
    );
  });
});
