import { describe, expect, it } from 'vitest';
import { applyGpuEnv, dockerGpusFlag, gpuEnvFor, parseGpuSpec, type GpuSelection } from '../../../src-main/engine/gpu/index.js';

describe('gpuEnvFor', () => {
  it.each<[string, GpuSelection, { CUDA_VISIBLE_DEVICES: string | undefined; NVIDIA_VISIBLE_DEVICES: string }, string | null]>([
    ['one GPU', parseGpuSpec('0'), { CUDA_VISIBLE_DEVICES: '0', NVIDIA_VISIBLE_DEVICES: '0' }, 'device=0'],
    ['a range is expanded', parseGpuSpec('0-2'), { CUDA_VISIBLE_DEVICES: '0,1,2', NVIDIA_VISIBLE_DEVICES: '0,1,2' }, 'device=0,1,2'],
    ['MIG keeps the 0:1 form', parseGpuSpec('0:1,1:0'), { CUDA_VISIBLE_DEVICES: '0:1,1:0', NVIDIA_VISIBLE_DEVICES: '0:1,1:0' }, 'device=0:1,1:0'],
    ['all drops CUDA_VISIBLE_DEVICES', parseGpuSpec('all'), { CUDA_VISIBLE_DEVICES: undefined, NVIDIA_VISIBLE_DEVICES: 'all' }, 'all'],
    ['cpu-only hides every device', { kind: 'none' }, { CUDA_VISIBLE_DEVICES: '', NVIDIA_VISIBLE_DEVICES: 'none' }, null],
    ['UUIDs pass through', { kind: 'uuids', uuids: ['GPU-a', 'GPU-b'] }, { CUDA_VISIBLE_DEVICES: 'GPU-a,GPU-b', NVIDIA_VISIBLE_DEVICES: 'GPU-a,GPU-b' }, 'device=GPU-a,GPU-b'],
  ])('%s', (_name, selection, env, docker) => {
    expect(gpuEnvFor(selection)).toEqual(env);
    expect(dockerGpusFlag(selection)).toBe(docker);
  });
});

describe('applyGpuEnv', () => {
  it('sets both variables and PCI bus ordering without touching the input', () => {
    const base = { PATH: '/bin', CUDA_VISIBLE_DEVICES: '7' };
    const env = applyGpuEnv(base, parseGpuSpec('1'));
    expect(env).toEqual({ PATH: '/bin', CUDA_VISIBLE_DEVICES: '1', NVIDIA_VISIBLE_DEVICES: '1', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
    expect(base.CUDA_VISIBLE_DEVICES).toBe('7');
  });

  it('removes an inherited CUDA_VISIBLE_DEVICES for all', () => {
    const env = applyGpuEnv({ CUDA_VISIBLE_DEVICES: '3' }, { kind: 'all' });
    expect('CUDA_VISIBLE_DEVICES' in env).toBe(false);
    expect(env.NVIDIA_VISIBLE_DEVICES).toBe('all');
  });

  it('sets the empty CUDA list for cpu-only', () => {
    const env = applyGpuEnv({}, { kind: 'none' });
    expect(env.CUDA_VISIBLE_DEVICES).toBe('');
    expect(env.NVIDIA_VISIBLE_DEVICES).toBe('none');
  });
});
