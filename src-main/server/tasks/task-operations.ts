import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import { transitionAllowed, type TaskStatus } from './status-machine.js';
import type { TaskDoc } from './task-document.js';

export interface StatusChange {
  force?: boolean | undefined;
  reason?: string | undefined;
  message?: string | undefined;
}

/**
 * The task mutations several services share: load-or-400, status changes through the state
 * machine, keep-alive bumps, queue bookkeeping. All synchronous, so callers can wrap a whole
 * request in one SQLite transaction.
 */
export class TaskOperations {
  constructor(private readonly ctx: ServerContext) {}

  require(taskId: string): TaskDoc {
    const task = this.ctx.tasks.get(taskId);
    if (!task) throw apiError('invalid_task_id', undefined, { id: taskId });
    return task;
  }

  /**
   * Moves `task` to `to` (validated unless forced; same-state always allowed), stamping the
   * status fields. Returns the `fields` ClearML reports back. Does not save.
   */
  setStatus(task: TaskDoc, to: TaskStatus, change: StatusChange, identity: Identity): JsonObject {
    if (!change.force && !transitionAllowed(task.status, to)) {
      throw apiError('invalid_task_status', `cannot move from ${task.status} to ${to}; pass force:true to override`, {
        task: task.id,
        current_status: task.status,
        new_status: to,
      });
    }
    const now = isoDate(this.ctx.now());
    task.status = to;
    task.status_reason = change.reason ?? '';
    task.status_message = change.message ?? '';
    task.status_changed = now;
    task.last_update = now;
    task.last_change = now;
    task.last_changed_by = identity.user;
    return {
      status: to,
      status_reason: task.status_reason,
      status_message: task.status_message,
      status_changed: now,
      last_update: now,
      last_change: now,
      last_changed_by: identity.user,
    };
  }

  /** Stamps a user's edit of the task (who and when) and saves it; returns the time stamped. */
  saveUserChange(task: TaskDoc, identity: Identity): string {
    const now = isoDate(this.ctx.now());
    task.last_change = now;
    task.last_update = now;
    task.last_changed_by = identity.user;
    this.ctx.tasks.save(task);
    return now;
  }

  /** The liveness bump (ping, events, status reports): last_update and active_duration. */
  touch(task: TaskDoc): void {
    const nowMs = this.ctx.now();
    const now = isoDate(nowMs);
    task.last_update = now;
    task.last_change = now;
    if (task.status === 'in_progress' && task.started) {
      const startedMs = Date.parse(task.started);
      if (Number.isFinite(startedMs)) task.active_duration = Math.max(0, Math.round((nowMs - startedMs) / 1000));
    }
  }

  /**
   * Where a task goes when it leaves a queue without running: its status before the enqueue
   * (ClearML's hidden `enqueue_status`), else created.
   */
  statusBeforeEnqueue(task: TaskDoc): TaskStatus {
    const previous = task.enqueue_status;
    return previous && previous !== 'queued' && previous !== 'in_progress' ? previous : 'created';
  }

  /**
   * Takes a queued task back out of queue bookkeeping: unset execution.queue and, if still
   * queued, revert its status (forced, as ClearML does for dequeue/clear/remove).
   */
  revertDequeued(task: TaskDoc, identity: Identity, reason: string): void {
    if (task.execution && 'queue' in task.execution) {
      const execution = { ...task.execution };
      delete execution.queue;
      task.execution = execution;
    }
    if (task.status === 'queued') {
      this.setStatus(task, this.statusBeforeEnqueue(task), { force: true, reason }, identity);
    }
  }

  /** A worker actively runs `task`: ClearML's test for deferring tasks.stop to the agent. */
  runByLiveWorker(task: TaskDoc): boolean {
    if (task.status !== 'in_progress' || !task.last_worker) return false;
    if (task.system_tags.includes('development')) return false;
    const lastUpdate = Date.parse(task.last_update);
    return Number.isFinite(lastUpdate) && this.ctx.now() - lastUpdate < this.ctx.settings.taskUpdateTimeoutSec * 1000;
  }
}
