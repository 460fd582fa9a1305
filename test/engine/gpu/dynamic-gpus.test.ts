import { describe, expect, it } from 'vitest';
import {
  DynamicGpuSpecError,
  GpuSlotAllocator,
  busyGpusByForeignProcesses,
  dynamicGpuIndices,
  parseDynamicQueueSpec,
  parseGpuSpec,
  planNextPull,
  type GpuInfo,
} from '../../../src-main/engine/gpu/index.js';

describe('parseDynamicQueueSpec', () => {
  it('parses whole GPUs, ranges and fractions in priority order', () => {
    expect(parseDynamicQueueSpec(['quad=4', 'dual=2', 'opp=1-4', 'half=0.5', 'upto=-3', 'eighth=0.125', 'one=1.0'])).toEqual([
      { queue: 'quad', min: 4, max: 4, fractional: false, text: 'quad=4' },
      { queue: 'dual', min: 2, max: 2, fractional: false, text: 'dual=2' },
      { queue: 'opp', min: 1, max: 4, fractional: false, text: 'opp=1-4' },
      { queue: 'half', min: 0.5, max: 0.5, fractional: true, text: 'half=0.5' },
      { queue: 'upto', min: 1, max: 3, fractional: false, text: 'upto=-3' },
      { queue: 'eighth', min: 0.125, max: 0.125, fractional: true, text: 'eighth=0.125' },
      { queue: 'one', min: 1, max: 1, fractional: false, text: 'one=1.0' },
    ]);
  });

  it.each([
    ['x=1.3', /--queue "x=1.3": 1.3 GPUs: fractions only go up to one GPU/],
    ['x=0.1', /--queue "x=0.1": 0.1 is not a multiple of 0.125/],
    ['x=3-1', /--queue "x=3-1": range 3-1 runs backwards \(write 1-3\)/],
    ['x=', /--queue "x=": the GPU count after "=" is empty/],
    ['x', /--queue "x": missing "=<gpus>"/],
    ['=2', /--queue "=2": the queue name is empty/],
    ['x=0', /must be greater than 0/],
    ['x=0-2', /range start must be at least 1 GPU/],
    ['x=0.5-1', /"0.5-1" is not a range of whole GPUs/],
    ['x=two', /"two" is not a number of GPUs/],
  ])('rejects %j', (entry, message) => {
    expect(() => parseDynamicQueueSpec([entry])).toThrow(DynamicGpuSpecError);
    expect(() => parseDynamicQueueSpec([entry])).toThrow(message);
  });

  it('rejects a queue given twice and an empty list', () => {
    expect(() => parseDynamicQueueSpec(['a=1', 'a=2'])).toThrow(/"a" is given twice/);
    expect(() => parseDynamicQueueSpec([])).toThrow(/needs at least one --queue/);
  });
});

describe('dynamicGpuIndices', () => {
  it('takes a list or range of whole GPUs', () => {
    expect(dynamicGpuIndices(parseGpuSpec('0-3'))).toEqual([0, 1, 2, 3]);
    expect(dynamicGpuIndices(parseGpuSpec('1,3'))).toEqual([1, 3]);
  });
  it.each([
    [null, /needs --gpus/],
    [parseGpuSpec('all'), /not "all"/],
    [parseGpuSpec('0:1'), /MIG device 0:1/],
  ])('rejects %j', (selection, message) => {
    expect(() => dynamicGpuIndices(selection)).toThrow(message);
  });
});

/** Runs allocations in order; `release` steps free an earlier slot by its position. */
function run(gpus: number[], steps: (string | { release: number })[]) {
  const allocator = new GpuSlotAllocator(gpus);
  const slots: (ReturnType<GpuSlotAllocator['tryAllocate']>)[] = [];
  const results: (string | null)[] = [];
  for (const step of steps) {
    if (typeof step === 'object') {
      const slot = slots[step.release];
      results.push(slot && allocator.release(slot.slotId) ? 'released' : 'not booked');
      continue;
    }
    const [spec] = parseDynamicQueueSpec([`q=${step}`]);
    const slot = allocator.tryAllocate(spec!);
    slots.push(slot);
    results.push(slot === null ? null : slot.fraction === null ? `gpu${slot.gpus.join(',')}` : `gpu${slot.gpus[0]}x${slot.fraction}${slot.letter}`);
  }
  return { results, allocator };
}

describe('GpuSlotAllocator', () => {
  it.each<[string, number[], (string | { release: number })[], (string | null)[]]>([
    ['whole GPUs, lowest first', [0, 1, 2, 3], ['2', '1', '1', '1'], ['gpu0,1', 'gpu2', 'gpu3', null]],
    ['a range takes what is free up to max', [0, 1, 2, 3], ['1', '1-4'], ['gpu0', 'gpu1,2,3']],
    ['a range needs at least min', [0, 1, 2], ['2', '2-3'], ['gpu0,1', null]],
    ['two halves share one GPU', [0, 1], ['0.5', '0.5', '0.5'], ['gpu0x0.5a', 'gpu0x0.5b', 'gpu1x0.5a']],
    ['fractions pack best-fit', [0, 1], ['0.5', '0.25', '0.75', '0.25'], ['gpu0x0.5a', 'gpu0x0.25b', 'gpu1x0.75a', 'gpu0x0.25c']],
    ['no whole booking onto a fractionally used GPU', [0, 1], ['0.125', '2', '1', '1'], ['gpu0x0.125a', null, 'gpu1', null]],
    ['no fraction onto a whole-booked GPU', [0], ['1', '0.5'], ['gpu0', null]],
    ['a fraction that does not fit anywhere is refused', [0], ['0.75', '0.5'], ['gpu0x0.75a', null]],
    ['release frees GPUs for the next request', [0, 1], ['2', { release: 0 }, '2'], ['gpu0,1', 'released', 'gpu0,1']],
    ['releasing halves frees the whole GPU', [0], ['0.5', '0.5', { release: 0 }, { release: 1 }, '1'], ['gpu0x0.5a', 'gpu0x0.5b', 'released', 'released', 'gpu0']],
    ['a freed letter is reused', [0], ['0.25', '0.25', { release: 0 }, '0.25'], ['gpu0x0.25a', 'gpu0x0.25b', 'released', 'gpu0x0.25a']],
    ['double release is harmless', [0], ['1', { release: 0 }, { release: 0 }], ['gpu0', 'released', 'not booked']],
    ['works on a sparse GPU pool', [1, 3], ['1', '1'], ['gpu1', 'gpu3']],
  ])('%s', (_name, gpus, steps, expected) => {
    expect(run(gpus, steps).results).toEqual(expected);
  });

  it('reports usage per GPU', () => {
    const { allocator } = run([0, 1, 2], ['0.5', '1', '0.25']);
    expect(allocator.usage()).toEqual([
      { index: 0, used: 0.75, whole: false, slotIds: ['slot-1', 'slot-3'] },
      { index: 1, used: 1, whole: true, slotIds: ['slot-2'] },
      { index: 2, used: 0, whole: false, slotIds: [] },
    ]);
    expect(allocator.slots().map((s) => s.slotId)).toEqual(['slot-1', 'slot-2', 'slot-3']);
  });

  it('refuses an empty or duplicated pool', () => {
    expect(() => new GpuSlotAllocator([])).toThrow(/at least one GPU/);
    expect(() => new GpuSlotAllocator([0, 0])).toThrow(/listed twice/);
  });
});

describe('planNextPull (no head-of-line blocking)', () => {
  const queues = parseDynamicQueueSpec(['quad=4', 'dual=2', 'opp=1-4', 'half=0.5']);
  it.each<[string, number[], string[], string[]]>([
    ['everything fits on an empty 4-GPU box', [0, 1, 2, 3], [], ['quad', 'dual', 'opp', 'half']],
    ['quad does not fit, lower queues still pulled', [0, 1, 2, 3], ['1'], ['dual', 'opp', 'half']],
    ['only one GPU free', [0, 1, 2, 3], ['3'], ['opp', 'half']],
    ['one GPU half used: only the half queue fits', [0, 1, 2, 3], ['3', '0.5'], ['half']],
    ['all GPUs booked whole', [0, 1], ['2'], []],
  ])('%s', (_name, gpus, booked, expected) => {
    const allocator = new GpuSlotAllocator(gpus);
    for (const b of booked) allocator.tryAllocate(parseDynamicQueueSpec([`b=${b}`])[0]!);
    expect(planNextPull(queues, allocator).map((q) => q.queue)).toEqual(expected);
  });
});

describe('busyGpusByForeignProcesses', () => {
  const gpu = (index: number, uuid: string) => ({ index, uuid }) as GpuInfo;
  const gpus = [gpu(0, 'GPU-a'), gpu(1, 'GPU-b')];
  it('flags GPUs used by processes that are not ours', () => {
    const processes = [
      { pid: 10, processName: 'python', usedMemoryMiB: 100, gpuUuid: 'GPU-a' },
      { pid: 20, processName: 'jupyter', usedMemoryMiB: 100, gpuUuid: 'GPU-b' },
      { pid: 30, processName: 'other', usedMemoryMiB: 1, gpuUuid: 'GPU-unknown' },
    ];
    expect([...busyGpusByForeignProcesses(processes, gpus, new Set([10]))]).toEqual([1]);
    expect([...busyGpusByForeignProcesses(processes, gpus, new Set([10, 20]))]).toEqual([]);
    expect([...busyGpusByForeignProcesses([], gpus, new Set())]).toEqual([]);
  });
});
