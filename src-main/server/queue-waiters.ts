import type { JsonObject } from './http/request-params.js';

interface Waiter {
  queueId: string;
  signal: AbortSignal;
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
  wait(queueId: string, timeoutMs: number, signal: AbortSignal, pop: () => JsonObject): Promise<JsonObject> {
    if (this.closed || signal.aborted || timeoutMs <= 0) return Promise.resolve({});
    return new Promise((resolve) => {
      const finish = (data: JsonObject) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.remove(waiter);
        resolve(data);
      };
      const onAbort = () => finish({});
      const waiter: Waiter = { queueId, signal, pop, finish };
      const timer = setTimeout(() => finish({}), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      const list = this.byQueue.get(queueId) ?? [];
      list.push(waiter);
      this.byQueue.set(queueId, list);
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

  private drain(queueId: string): void {
    const list = this.byQueue.get(queueId);
    while (list && list.length > 0) {
      const waiter = list[0] as Waiter;
      if (waiter.signal.aborted) {
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
    const list = this.byQueue.get(waiter.queueId);
    if (!list) return;
    const index = list.indexOf(waiter);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.byQueue.delete(waiter.queueId);
  }
}
