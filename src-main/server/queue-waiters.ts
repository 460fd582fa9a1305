import type { JsonObject } from './http/request-params.js';

interface Waiter {
  /** Queues this caller waits on (our multi-queue extension: several, in priority order). */
  queueIds: readonly string[];
  /** Worker the caller said it is (extension field `worker`), so its settings can wake it. */
  workerId: string | null;
  signal: AbortSignal;
  /** false once the caller's connection cannot take an answer: it then gets no task */
  alive: () => boolean;
  pop: () => JsonObject;
  finish: (data: JsonObject) => void;
}

/**
 * Long-poll callers of `queues.get_next_task`, parked per queue in arrival order. Nothing
 * polls: when an entry is added the queue is drained on the next tick, each waiter popping
 * for itself in the same synchronous step, so one task still goes to exactly one caller.
 */
export class QueueWaiters {
  private readonly byQueue = new Map<string, Waiter[]>();
  private readonly drainScheduled = new Set<string>();
  private closed = false;

  get waitingCount(): number {
    let count = 0;
    for (const list of this.byQueue.values()) count += list.length;
    return count;
  }

  /**
   * Parks a caller. `pop` takes the queue's head for this caller (`{}` when empty). Resolves
   * with what it popped, or `{}` after `timeoutMs`, on abort, or when closing.
   */
  wait(
    queueIds: string | readonly string[],
    timeoutMs: number,
    signal: AbortSignal,
    pop: () => JsonObject,
    workerId: string | null = null,
    alive: () => boolean = () => true,
  ): Promise<JsonObject> {
    const ids = typeof queueIds === 'string' ? [queueIds] : [...new Set(queueIds)];
    if (this.closed || signal.aborted || timeoutMs <= 0 || ids.length === 0) return Promise.resolve({});
    return new Promise((resolve) => {
      const finish = (data: JsonObject) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.remove(waiter);
        resolve(data);
      };
      const onAbort = () => finish({});
      const waiter: Waiter = { queueIds: ids, workerId, signal, alive, pop, finish };
      const timer = setTimeout(() => finish({}), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      for (const queueId of ids) {
        const list = this.byQueue.get(queueId) ?? [];
        list.push(waiter);
        this.byQueue.set(queueId, list);
      }
    });
  }

  /** Called after an entry was committed to `queueId`. */
  entryAdded(queueId: string): void {
    if (this.closed || !this.byQueue.has(queueId) || this.drainScheduled.has(queueId)) return;
    this.drainScheduled.add(queueId);
    setImmediate(() => {
      this.drainScheduled.delete(queueId);
      this.drain(queueId);
    });
  }

  /** Releases every waiter with an empty answer (server shutdown). */
  closeAll(): void {
    this.closed = true;
    for (const list of [...this.byQueue.values()]) for (const waiter of [...list]) waiter.finish({});
    this.byQueue.clear();
  }

  /**
   * Answers the waiters of a queue now with an empty result: its tags changed (e.g.
   * force_workers:off) or it was deleted, so each waiting daemon re-evaluates before it pulls.
   */
  releaseQueue(queueId: string): void {
    for (const waiter of [...(this.byQueue.get(queueId) ?? [])]) waiter.finish({});
  }

  /** Same for the waiters of one worker, whose runtime properties (force on/off) changed. */
  releaseWorker(workerId: string): void {
    for (const list of [...this.byQueue.values()]) for (const waiter of [...list]) if (waiter.workerId === workerId) waiter.finish({});
  }

  private drain(queueId: string): void {
    const list = this.byQueue.get(queueId);
    while (list && list.length > 0) {
      const waiter = list[0] as Waiter;
      // Pop only for a caller still connected: a task handed to a closed socket would be lost.
      if (waiter.signal.aborted || !waiter.alive()) {
        waiter.finish({});
        continue;
      }
      let popped: JsonObject;
      try {
        popped = waiter.pop();
      } catch {
        // A storage fault: leave the waiters parked; they time out with an empty answer.
        return;
      }
      if (Object.keys(popped).length === 0) return;
      waiter.finish(popped);
    }
  }

  private remove(waiter: Waiter): void {
    for (const queueId of waiter.queueIds) {
      const list = this.byQueue.get(queueId);
      if (!list) continue;
      const index = list.indexOf(waiter);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.byQueue.delete(queueId);
    }
  }
}
