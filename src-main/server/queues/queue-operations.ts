import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import type { QueueDoc, QueueEntryRow } from '../store/queue-store.js';
import type { TaskOperations } from '../tasks/task-operations.js';

export const DEFAULT_QUEUE_TAG = 'default';
/** Queues with these system tags are hidden from get_all unless asked (ClearML's default). */
export const HIDDEN_QUEUE_TAGS = ['k8s-glue'];

export interface PopOptions {
  /** ClearML 2.21: pop only when this task is at the head. */
  task?: string | undefined;
  getTaskInfo?: boolean | undefined;
}

/** Queue lookups, rendering, and the push/pop primitives behind enqueue and get_next_task. */
export class QueueOperations {
  constructor(
    private readonly ctx: ServerContext,
    private readonly taskOps: TaskOperations,
  ) {}

  require(queueId: string): QueueDoc {
    const queue = this.ctx.queues.get(queueId);
    if (!queue) throw apiError('invalid_queue_id', undefined, { queue: queueId });
    return queue;
  }

  /** The queue whose system tags hold `default` (400/707 none, 400/708 several). */
  defaultQueue(): QueueDoc {
    const defaults = this.ctx.queues.all().filter((queue) => queue.system_tags.includes(DEFAULT_QUEUE_TAG));
    if (defaults.length === 0) throw apiError('no_default_queue');
    if (defaults.length > 1) throw apiError('multiple_default_queues', undefined, { queues: defaults.map((q) => q.id) });
    return defaults[0] as QueueDoc;
  }

  render(queue: QueueDoc, maxTaskEntries?: number): JsonObject {
    let entries = this.ctx.queues.entries(queue.id);
    if (maxTaskEntries !== undefined) entries = entries.slice(0, maxTaskEntries);
    return { ...queue, entries: entries.map((entry) => ({ task: entry.task_id, added: isoDate(entry.added) })) };
  }

  /** Appends a task (caller checked it is not there yet) and wakes long-poll waiters. */
  push(queueId: string, taskId: string): void {
    this.ctx.queues.push(queueId, taskId, this.ctx.now());
    this.touchQueue(queueId);
    // Waiters drain on the next tick, i.e. after the caller's transaction has committed.
    this.ctx.waiters.entryAdded(queueId);
  }

  touchQueue(queueId: string): void {
    this.ctx.queues.setLastUpdate(queueId, isoDate(this.ctx.now()));
  }

  /**
   * Atomically takes the head entry. Does not start the task (the agent calls tasks.started),
   * except that a `stopped` task is put back to `queued`, as ClearML does. Entries whose task
   * was deleted are dropped on the way. Returns the answer and the entry taken (so it can be
   * put back when the answer cannot be delivered), or null when there was nothing to take.
   */
  popNext(queueId: string, identity: Identity, options: PopOptions): PoppedEntry | null {
    // Empty queues are the common case for pollers: answer without opening a transaction.
    // (Nothing awaits between this check and the pop, so no one else can slip in.)
    if (!this.ctx.queues.head(queueId)) return null;
    return this.ctx.db.transaction((): PoppedEntry | null => {
      for (;;) {
        const head = this.ctx.queues.head(queueId);
        if (!head) return null;
        if (options.task !== undefined && head.task_id !== options.task) return null;
        this.ctx.queues.removeEntry(head);
        const task = this.ctx.tasks.get(head.task_id);
        if (!task) continue;
        if (task.status === 'stopped') {
          this.taskOps.setStatus(task, 'queued', { force: true, reason: 'popped from queue' }, identity);
          this.ctx.tasks.save(task);
        }
        this.touchQueue(queueId);
        const answer: JsonObject = { entry: { task: head.task_id, added: isoDate(head.added) } };
        if (options.getTaskInfo) answer.task_info = { company: task.company, user: task.user };
        return { answer, entry: head, taskState: { status: task.status, status_changed: task.status_changed } };
      }
    })();
  }

  /**
   * A popped entry whose answer never reached its caller goes back to the head of its queue, so
   * the task is neither lost nor sent to the back. Skipped when the task's status changed since
   * the pop (someone started, stopped or re-queued it), it was deleted, or it is in the queue
   * again. Returns whether it went back.
   */
  returnToHead(popped: PoppedEntry): boolean {
    const { entry, taskState } = popped;
    const returned = this.ctx.db.transaction((): boolean => {
      const task = this.ctx.tasks.get(entry.task_id);
      if (!task || !this.ctx.queues.get(entry.queue_id)) return false;
      if (task.status !== taskState.status || task.status_changed !== taskState.status_changed) return false;
      if (this.ctx.queues.contains(entry.queue_id, entry.task_id)) return false;
      this.ctx.queues.returnToHead(entry);
      this.touchQueue(entry.queue_id);
      return true;
    })();
    if (returned) this.ctx.waiters.entryAdded(entry.queue_id);
    return returned;
  }

  /**
   * ClearML's reposition: moves the task's entry to `target(index, length)` (clamped) and
   * returns its new index; 400/703 when the task is not in the queue.
   */
  moveTask(queueId: string, taskId: string, target: (index: number, length: number) => number): number {
    return this.ctx.db.transaction((): number => {
      this.require(queueId);
      const order = this.ctx.queues.entries(queueId).map((entry) => entry.task_id);
      const index = order.indexOf(taskId);
      if (index < 0) throw apiError('invalid_queue_or_task_not_queued', undefined, { queue: queueId, task: taskId });
      const wanted = Math.min(Math.max(target(index, order.length), 0), order.length - 1);
      if (wanted === index) return index;
      order.splice(index, 1);
      order.splice(wanted, 0, taskId);
      this.ctx.queues.reorder(queueId, order);
      this.touchQueue(queueId);
      return wanted;
    })();
  }
}

export interface PoppedEntry {
  /** the get_next_task answer: `{entry: {task, added}, task_info?}` */
  answer: JsonObject;
  entry: QueueEntryRow;
  /** the task's status right after the pop: putting it back is right only while it is unchanged */
  taskState: { status: string; status_changed: string };
}
