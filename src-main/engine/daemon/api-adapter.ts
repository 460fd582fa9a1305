import type { ApiClient } from '../api/index.js';
import { isApiError, looksLikeClearmlId, exactNameRegex, apiVersionAtLeast } from '../api/index.js';
import type { DaemonApi, QueueRef, RuntimeForce } from './daemon-api.js';

/**
 * The daemon loop's server calls over the ClearML API client. Long-poll and the multi-queue
 * pull are used only when the server's token advertises them, so against a real ClearML
 * server this degrades to clearml-agent's plain polling.
 */
export function createDaemonApi(client: ApiClient, options: { now?: () => number } = {}): DaemonApi {
  const now = options.now ?? Date.now;
  let runtimePropertiesSupported = true;
  const queueNames = new Map<string, string>();

  async function resolveOne(nameOrId: string, create: boolean): Promise<QueueRef> {
    if (looksLikeClearmlId(nameOrId)) {
      const queue = await client.queues.getById(nameOrId);
      return { id: queue.id, name: String(queue.name ?? nameOrId) };
    }
    const found = await client.queues.getAll({ name: exactNameRegex(nameOrId), onlyFields: ['id', 'name'], searchHidden: true } as never);
    const exact = found.filter((q) => String(q.name ?? '').toLowerCase() === nameOrId.toLowerCase());
    if (exact.length === 1) return { id: exact[0]!.id, name: String(exact[0]!.name) };
    if (exact.length > 1) throw new Error(`queue name "${nameOrId}" matches ${exact.length} queues; pass the queue id instead`);
    if (!create) {
      const all = await client.queues.getAll({ onlyFields: ['name'] } as never);
      const names = all.map((q) => String(q.name ?? '')).filter(Boolean);
      throw new Error(`queue "${nameOrId}" does not exist${names.length ? ` (queues: ${names.join(', ')})` : ''}; create it or pass --create-queue`);
    }
    const { id } = await client.queues.create({ name: nameOrId });
    return { id, name: nameOrId };
  }

  return {
    async resolveQueues(namesOrIds, { create }) {
      const refs: QueueRef[] = [];
      for (const nameOrId of namesOrIds) refs.push(await resolveOne(nameOrId, create));
      for (const ref of refs) queueNames.set(ref.id, ref.name);
      return refs;
    },
    async defaultQueue() {
      try {
        const queue = await client.queues.getDefault();
        queueNames.set(queue.id, queue.name);
        return queue;
      } catch (error) {
        // clearml-agent falls back to a queue literally named "default".
        if (isApiError(error) && error.resultCode === 400) return resolveOne('default', false);
        throw error;
      }
    },
    async queueTags(queueIds) {
      const queues = await client.queues.getAll({ id: [...queueIds], onlyFields: ['id', 'tags'], searchHidden: true } as never);
      return new Map(queues.map((q) => [q.id, (q.tags as string[] | undefined) ?? []]));
    },
    async runtimeForce(workerId) {
      if (!runtimePropertiesSupported) return 'unsupported';
      if (!apiVersionAtLeast(client.capabilities().apiVersion, '2.10')) {
        runtimePropertiesSupported = false;
        return 'unsupported';
      }
      try {
        const properties = await client.workers.getRuntimeProperties({ worker: workerId });
        const force = properties.find((p) => p.key === 'force');
        if (!force) return null;
        const expiresAt = typeof force.expiry === 'number' && force.expiry > 0 ? now() + force.expiry * 1000 : null;
        return { value: force.value, expiresAt } satisfies RuntimeForce;
      } catch (error) {
        // OSS servers answer 404: runtime properties are an enterprise feature there.
        if (isApiError(error) && error.httpCode === 404) {
          runtimePropertiesSupported = false;
          return 'unsupported';
        }
        throw error;
      }
    },
    longPollMaxMs() {
      return client.capabilities().longPollMaxMs ?? 0;
    },
    async nextTask(queueIds, { waitMs, workerId, signal }) {
      if (queueIds.length === 0) return null;
      const caps = client.capabilities();
      const longPoll = waitMs > 0 && caps.longPollMaxMs !== null;
      if (caps.multiQueueNextTask) {
        const wait = longPoll ? Math.min(waitMs, caps.longPollMaxMs!) : 0;
        const data = await client.call(
          'queues.get_next_task',
          { queue: queueIds[0], queues: [...queueIds], worker: workerId, ...(wait > 0 ? { wait_ms: wait } : {}) },
          { version: '2.14', signal, ...(wait > 0 ? { timeoutMs: 30_000 + wait } : {}) },
        );
        const entry = (data as { entry?: { task?: string }; queue?: string }).entry;
        if (!entry?.task) return null;
        return { taskId: entry.task, queueId: String((data as { queue?: string }).queue ?? queueIds[0]) };
      }
      // clearml-agent's way: each queue in order, one non-blocking pop each.
      for (const queueId of queueIds) {
        const entry = await client.queues.getNextTask({ queue: queueId, signal });
        if (entry) return { taskId: entry.task, queueId };
      }
      // One queue on a long-poll server: wait on it instead of sleeping.
      if (longPoll && queueIds.length === 1) {
        const entry = await client.queues.getNextTask({ queue: queueIds[0]!, waitMs, signal });
        if (entry) return { taskId: entry.task, queueId: queueIds[0]! };
      }
      return null;
    },
    async register(workerId, queueIds) {
      await client.workers.register({ worker: workerId, queues: [...queueIds] });
    },
    async unregister(workerId) {
      await client.workers.unregister({ worker: workerId });
    },
    async statusReport(report) {
      await client.workers.statusReport({
        worker: report.workerId,
        timestamp: now(),
        queues: [...report.queueIds],
        ...(report.taskId ? { task: report.taskId } : {}),
        ...(report.queueId ? { queue: report.queueId } : {}),
        machineStats: (report.machineStats ?? null) as never,
        ...(report.tags ? { tags: [...report.tags] } : {}),
      });
    },
    async markPulled(taskId, workerId, queueName) {
      await client.tasks.started({ task: taskId, force: true, statusReason: '', statusMessage: 'pulled by agent' });
      await client.events.addBatch([{ type: 'log', task: taskId, worker: workerId, level: 'info', msg: `task ${taskId} pulled from ${queueName} by worker ${workerId}\n`, timestamp: now() }]);
    },
    async markFailed(taskId, statusReason, statusMessage) {
      await client.tasks.failed({ task: taskId, force: true, statusReason, statusMessage });
    },
  };
}
