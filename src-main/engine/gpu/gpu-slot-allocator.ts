// Local bookkeeping of which GPUs the running tasks hold (clearml-agent derives this from the
// server's worker list, so a crashed child holds its GPUs for up to 10 minutes; here a slot is
// free the moment the daemon releases it).
import { GPU_FRACTION_STEP, type DynamicQueueSpec } from './dynamic-queue-spec.js';

const EIGHTHS = Math.round(1 / GPU_FRACTION_STEP);

/** What a queue asks for; a DynamicQueueSpec fits. */
export type GpuRequest = Pick<DynamicQueueSpec, 'min' | 'max'>;

export interface GpuSlot {
  slotId: string;
  /** The GPUs this task may use (one GPU for a fractional slot). */
  gpus: number[];
  /** Share of `gpus[0]` for a fractional slot; null for whole GPUs. */
  fraction: number | null;
  /**
   * For fractional slots: a letter unique among the slots sharing that GPU, used in the worker id
   * (`host:gpu0.5a`) the way clearml-agent names fractional workers. Null for whole GPUs.
   */
  letter: string | null;
}

export interface GpuUsage {
  index: number;
  /** 0…1 of the GPU booked. */
  used: number;
  /** Booked as a whole GPU (then no fraction may join it). */
  whole: boolean;
  slotIds: string[];
}

interface Booking {
  slot: GpuSlot;
  eighths: number;
}

export class GpuSlotAllocator {
  private readonly gpus: readonly number[];
  private readonly bookings = new Map<string, Booking>();
  private nextId = 1;

  constructor(gpus: readonly number[]) {
    if (gpus.length === 0) throw new Error('GpuSlotAllocator needs at least one GPU (from --gpus)');
    if (new Set(gpus).size !== gpus.length) throw new Error(`GpuSlotAllocator: GPU listed twice in ${gpus.join(',')}`);
    this.gpus = [...gpus];
  }

  private usedEighths(index: number): { eighths: number; whole: boolean } {
    let eighths = 0;
    let whole = false;
    for (const b of this.bookings.values()) {
      if (!b.slot.gpus.includes(index)) continue;
      if (b.slot.fraction === null) whole = true;
      eighths += b.slot.fraction === null ? EIGHTHS : b.eighths;
    }
    return { eighths, whole };
  }

  private freeWholeGpus(): number[] {
    return this.gpus.filter((g) => this.usedEighths(g).eighths === 0);
  }

  /** Best fit for a fraction: the GPU with the least room that still fits, lowest index on ties. */
  private gpuForFraction(eighths: number): number | null {
    let best: { index: number; free: number } | null = null;
    for (const index of this.gpus) {
      const used = this.usedEighths(index);
      if (used.whole) continue;
      const free = EIGHTHS - used.eighths;
      if (free < eighths) continue;
      if (best === null || free < best.free) best = { index, free };
    }
    return best?.index ?? null;
  }

  /** Whether a request could be served now (at least `min` GPUs, or room for the fraction). */
  fits(request: GpuRequest): boolean {
    if (request.max < 1) return this.gpuForFraction(Math.round(request.max * EIGHTHS)) !== null;
    return this.freeWholeGpus().length >= request.min;
  }

  /**
   * Books GPUs for one task, or returns null when the request does not fit right now. Whole
   * requests take as many fully free GPUs as there are, up to `max` (at least `min`), lowest
   * indices first; fractions pack onto the fullest GPU that still has room, never onto a GPU
   * booked whole, and a fully free GPU is only opened when no partly used one fits.
   */
  tryAllocate(request: GpuRequest): GpuSlot | null {
    const slotId = `slot-${this.nextId}`;
    if (request.max < 1) {
      const eighths = Math.round(request.max * EIGHTHS);
      const index = this.gpuForFraction(eighths);
      if (index === null) return null;
      const taken = new Set(
        [...this.bookings.values()].filter((b) => b.slot.gpus[0] === index && b.slot.letter).map((b) => b.slot.letter),
      );
      let code = 'a'.charCodeAt(0);
      while (taken.has(String.fromCharCode(code))) code += 1;
      const slot: GpuSlot = { slotId, gpus: [index], fraction: eighths / EIGHTHS, letter: String.fromCharCode(code) };
      this.bookings.set(slotId, { slot, eighths });
      this.nextId += 1;
      return slot;
    }
    const free = this.freeWholeGpus();
    if (free.length < request.min) return null;
    const slot: GpuSlot = { slotId, gpus: free.slice(0, Math.floor(request.max)), fraction: null, letter: null };
    this.bookings.set(slotId, { slot, eighths: EIGHTHS });
    this.nextId += 1;
    return slot;
  }

  /** Frees a slot; false when it was not booked (already released). */
  release(slotId: string): boolean {
    return this.bookings.delete(slotId);
  }

  slots(): GpuSlot[] {
    return [...this.bookings.values()].map((b) => b.slot);
  }

  usage(): GpuUsage[] {
    return this.gpus.map((index) => {
      const used = this.usedEighths(index);
      const slotIds = [...this.bookings.values()].filter((b) => b.slot.gpus.includes(index)).map((b) => b.slot.slotId);
      return { index, used: used.eighths / EIGHTHS, whole: used.whole, slotIds };
    });
  }
}

/**
 * The queues worth asking for a task right now, in priority order: those whose GPU request fits
 * the free GPUs. A big request that does not fit is skipped instead of blocking the queues after
 * it (clearml-agent sleeps and restarts from the top there — head-of-line blocking).
 */
export function planNextPull<Q extends GpuRequest>(queuesInPriorityOrder: readonly Q[], allocator: GpuSlotAllocator): Q[] {
  return queuesInPriorityOrder.filter((q) => allocator.fits(q));
}
