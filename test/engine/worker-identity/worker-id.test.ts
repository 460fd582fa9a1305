import { describe, expect, it } from 'vitest';
import { parseGpuSpec } from '../../../src-main/engine/gpu/index.js';
import { formWorkerId, type WorkerIdInputs } from '../../../src-main/engine/worker-identity/index.js';

const base: WorkerIdInputs = { hostname: 'box', slot: 0 };

describe('formWorkerId', () => {
  it.each<[string, Partial<WorkerIdInputs>, string]>([
    ['no GPU setting: host:<slot>', {}, 'box:0'],
    ['second local instance', { slot: 2 }, 'box:2'],
    ['one GPU', { gpus: parseGpuSpec('0') }, 'box:gpu0'],
    ['GPU list', { gpus: parseGpuSpec('0,1') }, 'box:gpu0,1'],
    ['range as written', { gpus: parseGpuSpec('0-3') }, 'box:gpu0-3'],
    ['all', { gpus: parseGpuSpec('all') }, 'box:gpuall'],
    ['MIG', { gpus: parseGpuSpec('0:1') }, 'box:gpu0:1'],
    ['GPU UUIDs from the environment', { gpus: { kind: 'uuids', uuids: ['GPU-a'] } }, 'box:gpuGPU-a'],
    ['--cpu-only', { cpuOnly: true, slot: 1 }, 'box:cpu:1'],
    ['--cpu-only wins over GPUs', { cpuOnly: true, gpus: parseGpuSpec('0') }, 'box:cpu:0'],
    ['NVIDIA_VISIBLE_DEVICES=none', { gpus: { kind: 'none' } }, 'box:cpu:0'],
    ['agent.worker_name', { workerName: 'lab-3', gpus: parseGpuSpec('1') }, 'lab-3:gpu1'],
    ['CLEARML_WORKER_NAME beats agent.worker_name', { workerName: 'lab-3', env: { CLEARML_WORKER_NAME: 'envname' } }, 'envname:0'],
    ['blank worker name falls back to hostname', { workerName: '  ' }, 'box:0'],
    ['agent.worker_id used as-is', { workerId: 'my-worker', gpus: parseGpuSpec('0') }, 'my-worker'],
    ['CLEARML_WORKER_ID beats agent.worker_id', { workerId: 'cfg', env: { CLEARML_WORKER_ID: 'from-env' } }, 'from-env'],
    ['dynamic GPUs daemon', { dynamic: { kind: 'daemon', gpuSpec: '0-3' }, gpus: parseGpuSpec('0-3') }, 'box:dgpu0-3'],
    ['dynamic slot, whole GPUs', { dynamic: { kind: 'slot', gpus: [2, 3], fraction: null, letter: null } }, 'box:gpu2,3'],
    ['dynamic slot, half of GPU 0', { dynamic: { kind: 'slot', gpus: [0], fraction: 0.5, letter: 'a' } }, 'box:gpu0.5a'],
    ['dynamic slot, a quarter of GPU 2', { dynamic: { kind: 'slot', gpus: [2], fraction: 0.25, letter: 'b' } }, 'box:gpu2.25b'],
    ['dynamic slot, an eighth', { dynamic: { kind: 'slot', gpus: [1], fraction: 0.125, letter: 'a' } }, 'box:gpu1.125a'],
    ['dynamic slot ids keep the name even with an explicit daemon id', { workerId: 'fixed', dynamic: { kind: 'slot', gpus: [0], fraction: null, letter: null } }, 'box:gpu0'],
    ['services child of a formed daemon id', { cpuOnly: true, servicesTask: { taskId: 'abc123' } }, 'box:cpu:0:service:abc123'],
    ['services child of a given daemon id', { servicesTask: { taskId: 't1', parentWorkerId: 'svc-daemon' } }, 'svc-daemon:service:t1'],
  ])('%s', (_name, inputs, expected) => {
    expect(formWorkerId({ ...base, ...inputs })).toBe(expected);
  });

  it('needs a hostname or a name', () => {
    expect(() => formWorkerId({ hostname: '', slot: 0 })).toThrow(/no hostname and no worker name/);
  });
});
