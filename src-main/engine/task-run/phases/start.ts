import type { TaskPhase } from '../context.js';
import { isTaskNotFound } from '../api-adapter.js';

/** Thrown when the task must not run here at all (not queued under --require-queue). */
export class TaskNotRunnableError extends Error {
  override readonly name = 'TaskNotRunnableError';
}

/**
 * Reads the task and marks it as started by this worker (reference §4.1, "Child start").
 * With `requireQueue` the task must still be queued: an external scheduler (Slurm, k8s) may
 * start a job long after the user dequeued or aborted the task.
 */
export function startPhase(options: {
  requireQueue: boolean;
  /** Lifecycle hook: the task is known to exist and is ours (open its log, watch for an abort). */
  onStarted?: (ctx: Parameters<TaskPhase['run']>[0]) => void;
}): TaskPhase {
  return {
    name: 'start',
    async run(ctx) {
      let task;
      try {
        task = await ctx.api.getTask(ctx.taskId);
      } catch (error) {
        if (isTaskNotFound(error)) throw new TaskNotRunnableError(`task ${ctx.taskId} was not found on the server; check the id (tray-agent task list)`);
        throw error;
      }
      ctx.task = task;
      const { dequeued } = await ctx.api.dequeue(ctx.taskId, 'in_progress');
      if (options.requireQueue && !dequeued) {
        throw new TaskNotRunnableError(`task ${ctx.taskId} is not queued (status ${task.status ?? 'unknown'}); --require-queue refuses to run it`);
      }
      if (ctx.api.reportsToServer === false) {
        options.onStarted?.(ctx);
        return;
      }
      await ctx.api.started(ctx.taskId, {
        statusReason: 'worker started execution',
        statusMessage: `Changed by Tray Agent ${ctx.workerId}`,
      });
      await ctx.api.reportWorkerRunning(ctx.workerId, ctx.taskId).catch(() => undefined);
      ctx.log('INFO', `Running task id [${ctx.taskId}] "${task.name ?? ''}" on worker ${ctx.workerId}`);
      options.onStarted?.(ctx);
    },
  };
}
