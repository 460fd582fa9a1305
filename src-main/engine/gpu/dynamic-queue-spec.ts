// `--dynamic-gpus --queue quad=4 dual=2 opp=1-4 half=0.5`: how many GPUs a task of each queue gets.

/** Fractions are booked in eighths of a GPU; finer slices are not useful and float sums drift. */
export const GPU_FRACTION_STEP = 0.125;

export interface DynamicQueueSpec {
  queue: string;
  /** GPUs: an integer ≥ 1, or a fraction in (0, 1) in 1/8 steps (then min = max). */
  min: number;
  max: number;
  /** True when the queue asks for part of one GPU. */
  fractional: boolean;
  /** The entry as written, for messages. */
  text: string;
}

export class DynamicGpuSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DynamicGpuSpecError';
  }
}

const EXPECTED = 'expected NAME=N (whole GPUs, e.g. dual=2), NAME=MIN-MAX (e.g. opp=1-4) or NAME=F (a fraction of one GPU in 1/8 steps, e.g. half=0.5)';

function fail(entry: string, detail: string): DynamicGpuSpecError {
  return new DynamicGpuSpecError(`--queue "${entry}": ${detail}; ${EXPECTED}`);
}

function parseAmount(entry: string, token: string): number {
  if (!/^\d*\.?\d+$/.test(token)) throw fail(entry, `"${token}" is not a number of GPUs`);
  const value = Number(token);
  if (value <= 0) throw fail(entry, 'the number of GPUs must be greater than 0');
  if (value > 1 && !Number.isInteger(value)) {
    throw fail(entry, `${token} GPUs: fractions only go up to one GPU (use a whole number above 1)`);
  }
  if (value < 1 && !Number.isInteger(value / GPU_FRACTION_STEP)) {
    throw fail(entry, `${token} is not a multiple of ${GPU_FRACTION_STEP} (use 0.125, 0.25, 0.375, 0.5, …)`);
  }
  return value;
}

function parseRangeBound(entry: string, token: string, which: 'start' | 'end'): number {
  if (!/^\d+$/.test(token)) throw fail(entry, `range ${which} "${token}" must be a whole number of GPUs`);
  const value = Number(token);
  if (value < 1) throw fail(entry, `range ${which} must be at least 1 GPU`);
  return value;
}

export function parseDynamicQueueEntry(entry: string): DynamicQueueSpec {
  const text = entry.trim();
  const eq = text.lastIndexOf('=');
  if (eq < 0) throw fail(entry, 'missing "=<gpus>" (with --dynamic-gpus every queue needs a GPU count)');
  const queue = text.slice(0, eq).trim();
  const amount = text.slice(eq + 1).trim();
  if (queue === '') throw fail(entry, 'the queue name is empty');
  if (amount === '') throw fail(entry, 'the GPU count after "=" is empty');

  const range = /^(\d*)-(\d+)$/.exec(amount);
  if (range) {
    // `-4` = `1-4`, as clearml-agent reads it.
    const min = range[1] === '' ? 1 : parseRangeBound(entry, range[1] ?? '', 'start');
    const max = parseRangeBound(entry, range[2] ?? '', 'end');
    if (min > max) throw fail(entry, `range ${amount} runs backwards (write ${max}-${min})`);
    return { queue, min, max, fractional: false, text };
  }
  if (amount.includes('-')) throw fail(entry, `"${amount}" is not a range of whole GPUs`);
  const value = parseAmount(entry, amount);
  return { queue, min: value, max: value, fractional: value < 1, text };
}

/** All `--queue` entries, in priority order; a queue named twice is an error. */
export function parseDynamicQueueSpec(entries: readonly string[]): DynamicQueueSpec[] {
  if (entries.length === 0) throw new DynamicGpuSpecError(`--dynamic-gpus needs at least one --queue entry; ${EXPECTED}`);
  const specs = entries.map(parseDynamicQueueEntry);
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.queue)) throw new DynamicGpuSpecError(`--queue: "${spec.queue}" is given twice; name each queue once`);
    seen.add(spec.queue);
  }
  return specs;
}
