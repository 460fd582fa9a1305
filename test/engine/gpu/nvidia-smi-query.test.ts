import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GpuQueryError, queryDriverVersions, queryGpuProcesses, queryGpus } from '../../../src-main/engine/gpu/index.js';
import { FAKE_NVIDIA_SMI, fakeNvidiaSmiEnv } from '../../helpers/fake-nvidia-smi/index.js';

// queryGpus runs the fake nvidia-smi (test double replaying H200 recordings) as a real process.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fake-smi-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('queryGpus', () => {
  it('idle H200', async () => {
    const gpus = await queryGpus({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ state: 'idle' }) });
    expect(gpus).toEqual([
      expect.objectContaining({ index: 0, name: 'NVIDIA H200', utilizationGpu: 0, memoryUsedMiB: 0, memoryFreeMiB: 143156, temperatureC: 38 }),
    ]);
  });

  it('busy H200, found on PATH as "nvidia-smi"', async () => {
    const gpus = await queryGpus({ env: fakeNvidiaSmiEnv({ state: 'busy' }) });
    expect(gpus?.[0]).toMatchObject({ utilizationGpu: 100, memoryUsedMiB: 4723, temperatureC: 62, powerDrawW: 694.23 });
  });

  it('asks with the recorded field list and format', async () => {
    const logFile = path.join(tmp, 'calls.log');
    await queryGpus({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ logFile }) });
    expect(readFileSync(logFile, 'utf8')).toBe(
      '--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,utilization.memory,temperature.gpu,power.draw,power.limit,pci.bus_id,mig.mode.current,driver_version,compute_cap --format=csv,noheader,nounits\n',
    );
  });

  it('is null where nvidia-smi does not exist', async () => {
    expect(await queryGpus({ nvidiaSmi: path.join(tmp, 'no-such-nvidia-smi') })).toBeNull();
    expect(await queryGpus({ env: { PATH: tmp } })).toBeNull();
  });

  it('throws the driver message when nvidia-smi fails', async () => {
    const failing = queryGpus({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ fail: true }) });
    await expect(failing).rejects.toBeInstanceOf(GpuQueryError);
    await expect(queryGpus({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ fail: true }) })).rejects.toThrow(
      /failed \(exit 9\): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/,
    );
  });

  it('gives up after timeoutMs', async () => {
    const started = Date.now();
    await expect(
      queryGpus({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ delaySeconds: 5 }), timeoutMs: 200 }),
    ).rejects.toThrow(/did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('stops on abort', async () => {
    const controller = new AbortController();
    const pending = queryGpus({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ delaySeconds: 5 }), signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow(/cancelled/);
  });

  it('does not block the event loop while nvidia-smi runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 10);
    await queryGpus({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ delaySeconds: 0.3 }) });
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(10);
  });
});

describe('queryGpuProcesses', () => {
  it.each([
    ['idle', []],
    ['busy', [{ pid: 646, processName: '/opt/torch/.venv/bin/python3', usedMemoryMiB: 4714, gpuUuid: 'GPU-973e273e-b80d-2855-1aaa-8da3be6443a7' }]],
  ] as const)('%s', async (state, expected) => {
    expect(await queryGpuProcesses({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ state }) })).toEqual(expected);
  });

  it('is null without nvidia-smi', async () => {
    expect(await queryGpuProcesses({ env: { PATH: tmp } })).toBeNull();
  });
});

describe('queryDriverVersions', () => {
  it('reads driver and CUDA version from the banner', async () => {
    expect(await queryDriverVersions({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv() })).toEqual({ driverVersion: '580.159.04', cudaVersion: '13.0' });
  });
});
