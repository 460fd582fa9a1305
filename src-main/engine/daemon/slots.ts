/**
 * Where a pulled task runs: its worker id (each concurrently running task reports as its own
 * worker) and its GPU environment. The daemon asks its slot policy for one before each pull.
 */
export interface TaskSlot {
  readonly workerId: string;
  readonly gpuEnv: Record<string, string | undefined>;
  /** Gives the slot back (GPUs free again). */
  release(): void;
}

export interface SlotPolicy {
  /** Human description for logs and `--status`. */
  readonly description: string;
  /** Queues (by index into the daemon's list) whose request fits now, in priority order. */
  pullableQueueIndexes(runningCount: number): number[];
  /** Books a slot for a task pulled from the queue at `queueIndex`; null if it no longer fits. */
  acquire(queueIndex: number, taskId: string): TaskSlot | null;
}

/** One task at a time as the daemon's own worker (clearml-agent's default mode). */
export function singleSlotPolicy(workerId: string, gpuEnv: Record<string, string | undefined>, queueCount: number): SlotPolicy {
  return {
    description: `one task at a time as ${workerId}`,
    pullableQueueIndexes: (running) => (running > 0 ? [] : [...Array(queueCount).keys()]),
    acquire: () => ({ workerId, gpuEnv, release: () => undefined }),
  };
}

/** Services mode: up to `max` tasks at once (null = unlimited), each as worker `W:service:T`. */
export function servicesSlotPolicy(workerId: string, gpuEnv: Record<string, string | undefined>, queueCount: number, max: number | null): SlotPolicy {
  return {
    description: `services mode as ${workerId}, ${max === null ? 'unlimited' : `at most ${max}`} tasks at once`,
    pullableQueueIndexes: (running) => (max !== null && running >= max ? [] : [...Array(queueCount).keys()]),
    acquire: (_queueIndex, taskId) => ({ workerId: `${workerId}:service:${taskId}`, gpuEnv, release: () => undefined }),
  };
}
