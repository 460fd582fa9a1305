import type { TaskRunApi } from './task-run-api.js';

/**
 * clearml-agent's `--disable-monitoring`: the task is read, but nothing about the run is written
 * to the server — no status changes, no requirements, no log, no pings. The pipeline runs the
 * same phases against this API instead of asking "monitoring?" in each of them.
 */
export function withoutMonitoring(api: TaskRunApi): TaskRunApi {
  const nothing = async (): Promise<void> => undefined;
  return {
    reportsToServer: false,
    getTask: (taskId) => api.getTask(taskId),
    getTaskStatus: (taskId) => api.getTaskStatus(taskId),
    // --require-queue still means "only if it is queued", without taking it from the queue.
    dequeue: async (taskId) => ({ dequeued: (await api.getTaskStatus(taskId))?.status === 'queued' }),
    started: nothing,
    completed: nothing,
    failed: nothing,
    stopped: nothing,
    ping: nothing,
    reportWorkerRunning: nothing,
    setRequirements: nothing,
    setScriptVersion: nothing,
    mergeRuntime: nothing,
    addLogEvents: nothing,
    clone: (taskId, newName) => api.clone(taskId, newName),
  };
}
