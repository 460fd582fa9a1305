import type { ApiClient } from '../api/index.js';
import { isApiError, exactNameRegex } from '../api/index.js';
import { createDaemonApi } from '../daemon/api-adapter.js';
import type { GlueApi, TaskStatusView } from './glue-api.js';

/** The glue's server calls over the ClearML API client; queue pulls go through the daemon's. */
export function createGlueApi(client: ApiClient, options: { now?: () => number } = {}): GlueApi {
  const now = options.now ?? Date.now;
  const daemon = createDaemonApi(client, options);
  const alreadyQueued = (error: unknown): boolean => isApiError(error) && error.is(400, 706);
  const removeFrom = async (queueId: string | undefined, taskId: string): Promise<void> => {
    if (queueId) await client.queues.removeTask({ queue: queueId, task: taskId }).catch(() => undefined);
  };
  return {
    resolveQueues: (names, opts) => daemon.resolveQueues(names, opts),
    nextTask: (queueIds, opts) => daemon.nextTask(queueIds, opts),
    register: (workerId, queueIds) => daemon.register(workerId, queueIds),
    unregister: (workerId) => daemon.unregister(workerId),
    statusReport: (report) => daemon.statusReport(report),
    async pendingQueue(name, systemTag) {
      const found = await client.queues.getAll({ name: exactNameRegex(name), onlyFields: ['id', 'name'], searchHidden: true });
      const exact = found.find((q) => String(q.name ?? '').toLowerCase() === name.toLowerCase());
      if (exact) return { id: exact.id, name: String(exact.name) };
      const { id } = await client.queues.create({ name, systemTags: [systemTag] });
      return { id, name };
    },
    getTask: (taskId) => client.tasks.getById(taskId),
    async projectName(projectId) {
      const [project] = await client.projects.getAll({ id: [projectId], onlyFields: ['id', 'name'], searchHidden: true });
      return project?.name ?? null;
    },
    async taskStatuses(taskIds) {
      const map = new Map<string, TaskStatusView>();
      if (taskIds.length === 0) return map;
      const tasks = await client.tasks.getAll({ id: [...taskIds], onlyFields: ['id', 'status', 'status_message'], searchHidden: true }, { version: '2.14' });
      for (const t of tasks) map.set(t.id, { status: String(t.status ?? ''), statusMessage: String(t.status_message ?? '') });
      return map;
    },
    async moveToPending(taskId, pendingQueueId, statusMessage) {
      try {
        // execution.queue follows: `execute --require-queue` in the job takes the task out of it.
        await client.tasks.enqueue({ task: taskId, queue: pendingQueueId, force: true, statusReason: 'waiting for the scheduler', statusMessage });
      } catch (error) {
        if (!alreadyQueued(error)) throw error;
      }
    },
    async setStatusMessage(taskId, statusMessage) {
      await client.call('tasks.update', { task: taskId, status_message: statusMessage }, { version: '2.1' });
    },
    async failTask(taskId, change) {
      await removeFrom(change.queueId, taskId);
      await client.tasks.failed({ task: taskId, force: true, statusReason: change.statusReason, statusMessage: change.statusMessage });
    },
    async stopTask(taskId, change) {
      await removeFrom(change.queueId, taskId);
      await client.tasks.stopped({ task: taskId, force: true, statusReason: change.statusReason, statusMessage: change.statusMessage });
    },
    async requeue(taskId, queueId, statusMessage) {
      try {
        await client.tasks.enqueue({ task: taskId, queue: queueId, force: true, statusReason: 'requeued by the glue', statusMessage });
      } catch (error) {
        if (!alreadyQueued(error)) throw error;
      }
    },
    async logLine(taskId, workerId, level, text) {
      // ClearML's lower-case level names, as the SDK and our log shipper send them.
      await client.events.addBatch([{ type: 'log', task: taskId, worker: workerId, level: level.toLowerCase(), msg: `${text}\n`, timestamp: now() }]);
    },
  };
}
