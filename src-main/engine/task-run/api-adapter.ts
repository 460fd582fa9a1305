import type { ApiClient } from '../api/index.js';
import { isApiError } from '../api/index.js';
import type { TaskRecord } from './task-record.js';
import type { StatusChange, TaskRunApi, TaskStatusView } from './task-run-api.js';

/** The task-run pipeline's server calls, over the ClearML API client (versions as §2.0). */
export function createTaskRunApi(client: ApiClient): TaskRunApi {
  const change = (task: string, c: StatusChange) => ({ task, force: true, statusReason: c.statusReason, statusMessage: c.statusMessage });
  return {
    async getTask(taskId) {
      return (await client.tasks.getById(taskId)) as unknown as TaskRecord;
    },
    async getTaskStatus(taskId): Promise<TaskStatusView | null> {
      const [task] = await client.tasks.getAll({ id: [taskId], onlyFields: ['status', 'status_message'], searchHidden: true }, { version: '2.14' });
      if (!task) return null;
      return { status: String(task.status ?? ''), statusMessage: String(task.status_message ?? '') };
    },
    async dequeue(taskId, newStatus) {
      const result = await client.tasks.dequeue({ task: taskId, newStatus });
      return { dequeued: (result.dequeued ?? 0) > 0 };
    },
    async started(taskId, c) {
      await client.tasks.started(change(taskId, c));
    },
    async completed(taskId, c) {
      // Not forced: if the SDK inside the task already set a final status, the server keeps it.
      await client.tasks.completed({ ...change(taskId, c), force: false });
    },
    async failed(taskId, c) {
      await client.tasks.failed(change(taskId, c));
    },
    async stopped(taskId, c) {
      await client.tasks.stopped(change(taskId, c));
    },
    async ping(taskId) {
      await client.tasks.ping({ task: taskId });
    },
    async reportWorkerRunning(workerId, taskId) {
      await client.workers.statusReport({ worker: workerId, task: taskId });
    },
    async setRequirements(taskId, requirements) {
      await client.tasks.setRequirements({ task: taskId, requirements });
    },
    async setScriptVersion(taskId, commit) {
      await client.tasks.edit({ task: taskId, force: true, script: { version_num: commit } });
    },
    async mergeRuntime(taskId, values) {
      const [task] = await client.tasks.getAll({ id: [taskId], onlyFields: ['runtime'], searchHidden: true }, { version: '2.15' });
      const runtime = { ...((task?.runtime as Record<string, unknown> | undefined) ?? {}), ...values };
      await client.tasks.edit({ task: taskId, force: true, runtime });
    },
    async addLogEvents(events) {
      await client.events.addBatch(events.map((event) => ({ ...event })));
    },
    async clone(taskId, newName) {
      const { id } = await client.tasks.clone({ task: taskId, newTaskName: newName });
      return id;
    },
  };
}

/** True for "this task does not exist" answers (400/101). */
export function isTaskNotFound(error: unknown): boolean {
  return isApiError(error) && error.resultCode === 400 && error.resultSubcode === 101;
}
