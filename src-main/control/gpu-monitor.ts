// GPU utilisation, memory and processes for the window's GPU view, sampled only while someone
// looks (a subscriber), so an idle headless daemon does not run nvidia-smi for nobody.
import { queryGpuProcesses, queryGpus, type GpuInfo, type GpuProcess } from '../engine/gpu/index.js';

export interface GpuSample {
  readonly at: number;
  readonly gpus: readonly GpuInfo[];
  readonly processes: readonly GpuProcess[];
}

export interface GpuHistory {
  readonly at: number[];
  readonly utilizationPct: number[];
  readonly memoryUsedMiB: number[];
}

export class GpuMonitor {
  readonly #env: NodeJS.ProcessEnv;
  readonly #historyLength: number;
  #latest: GpuSample | null = null;
  #history = new Map<number, GpuHistory>();
  #timer: NodeJS.Timeout | null = null;
  #error: string | null = null;

  constructor(options: { env: NodeJS.ProcessEnv; historyLength?: number }) {
    this.#env = options.env;
    this.#historyLength = options.historyLength ?? 60;
  }

  get latest(): GpuSample | null {
    return this.#latest;
  }

  get error(): string | null {
    return this.#error;
  }

  history(index: number): GpuHistory {
    return this.#history.get(index) ?? { at: [], utilizationPct: [], memoryUsedMiB: [] };
  }

  /** One sample now; null when the machine has no nvidia-smi. */
  async sample(): Promise<GpuSample | null> {
    try {
      const [gpus, processes] = await Promise.all([queryGpus({ env: this.#env }), queryGpuProcesses({ env: this.#env }).catch(() => [] as GpuProcess[])]);
      this.#error = null;
      if (gpus === null) {
        this.#latest = null;
        return null;
      }
      const at = Date.now();
      this.#latest = { at, gpus, processes: processes ?? [] };
      for (const gpu of gpus) {
        const h = this.#history.get(gpu.index) ?? { at: [], utilizationPct: [], memoryUsedMiB: [] };
        h.at.push(at);
        h.utilizationPct.push(gpu.utilizationGpu ?? 0);
        h.memoryUsedMiB.push(gpu.memoryUsedMiB ?? 0);
        if (h.at.length > this.#historyLength) {
          h.at.shift();
          h.utilizationPct.shift();
          h.memoryUsedMiB.shift();
        }
        this.#history.set(gpu.index, h);
      }
      return this.#latest;
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
      return this.#latest;
    }
  }

  start(intervalMs: number, onSample: () => void): void {
    if (this.#timer) return;
    const tick = (): void => {
      void this.sample().then(onSample);
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
