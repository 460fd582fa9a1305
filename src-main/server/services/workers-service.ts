import { z } from 'zod';
import { int } from '../request-fields.js';
import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import type { WorkerRecord } from '../store/worker-store.js';
import { parseRequest } from '../validation.js';

const stringList = z.array(z.string());
const numbers = z.array(z.number().nullable()).nullable().optional();
const amount = z.number().nullable().optional();

/**
 * ClearML's MachineStats: per-core and per-GPU figures are lists, the rest numbers. A wrong
 * type is a 400/12; keys it does not know (clearml-agent's `gpu_fraction`) pass, as there.
 */
const machineStatsSchema = z.looseObject({
  cpu_usage: numbers,
  cpu_temperature: numbers,
  gpu_usage: numbers,
  gpu_temperature: numbers,
  gpu_memory_free: numbers,
  gpu_memory_used: numbers,
  memory_used: amount,
  memory_free: amount,
  network_tx: amount,
  network_rx: amount,
  disk_free_home: amount,
  disk_free_temp: amount,
  disk_read: amount,
  disk_write: amount,
});

const requests = {
  register: z.object({
    worker: z.string().min(1),
    timeout: int().optional(),
    queues: stringList.optional(),
    tags: stringList.optional(),
    system_tags: stringList.optional(),
  }),
  unregister: z.object({ worker: z.string().min(1) }),
  statusReport: z.object({
    worker: z.string().min(1),
    timestamp: z.number(),
    task: z.string().optional(),
    queue: z.string().optional(),
    queues: stringList.optional(),
    machine_stats: machineStatsSchema.optional(),
    tags: stringList.optional(),
    system_tags: stringList.optional(),
  }),
  getAll: z.object({
    last_seen: int(0).optional(),
    tags: stringList.optional(),
    system_tags: stringList.optional(),
    worker_pattern: z.string().optional(),
  }),
  getRuntimeProperties: z.object({ worker: z.string().min(1) }),
  setRuntimeProperties: z.object({
    worker: z.string().min(1),
    runtime_properties: z.array(
      z.object({
        key: z.string().min(1),
        value: z.union([z.string(), z.number(), z.boolean()]).nullable(),
        expiry: z.number().min(0).nullable().optional(),
      }),
    ),
  }),
};

/** `*`/`?` wildcards of workers.get_all's worker_pattern, anchored. */
function wildcardRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/**
 * Workers: registration with a TTL (refreshed by status_report, which also registers unknown
 * workers), the task liveness that reports carry, and runtime properties — ClearML keeps
 * those for its enterprise server; we serve them, with expiries we enforce.
 */
export function workersEndpoints(ctx: ServerContext, taskOps: TaskOperations): EndpointDefinition[] {
  const inTransaction = <T>(fn: () => T): T => ctx.db.transaction(fn)();
  const keyOf = (identity: Identity, worker: string) => `worker_${identity.company}_${identity.user}_${worker}`;

  const requireQueues = (queues: readonly string[] | undefined) => {
    for (const queueId of queues ?? []) {
      if (!ctx.queues.get(queueId)) throw apiError('invalid_queue_id', undefined, { queue: queueId });
    }
  };

  const newRecord = (identity: Identity, worker: string, ip: string, timeoutSec: number): WorkerRecord => ({
    key: keyOf(identity, worker),
    id: worker,
    user: identity.user,
    company: identity.company,
    ip,
    register_time: ctx.now(),
    register_timeout: timeoutSec,
    last_activity_time: ctx.now(),
    last_report_time: null,
    task: null,
    queue: null,
    queues: [],
    tags: [],
    system_tags: [],
  });

  const queueView = (queueId: string): JsonObject => {
    const queue = ctx.queues.get(queueId);
    if (!queue) return { id: queueId };
    const head = ctx.queues.head(queueId);
    const next = head ? ctx.tasks.get(head.task_id) : undefined;
    const view: JsonObject = { id: queue.id, name: queue.name, num_tasks: ctx.queues.count(queueId) };
    if (queue.display_name !== undefined) view.display_name = queue.display_name;
    if (next) view.next_task = { id: next.id, name: next.name };
    return view;
  };

  const render = (record: WorkerRecord): JsonObject => {
    const user = ctx.authStore.getUser(record.user);
    const view: JsonObject = {
      id: record.id,
      key: record.key,
      user: { id: record.user, name: user?.name ?? '' },
      company: { id: record.company, name: user?.company_name ?? '' },
      ip: record.ip,
      register_time: isoDate(record.register_time),
      register_timeout: record.register_timeout,
      last_activity_time: isoDate(record.last_activity_time),
      queues: record.queues.map(queueView),
      tags: record.tags,
      system_tags: record.system_tags,
    };
    if (record.last_report_time !== null) view.last_report_time = isoDate(record.last_report_time);
    if (record.queue) view.queue = queueView(record.queue);
    const task = record.task ? ctx.tasks.get(record.task) : undefined;
    if (task) {
      const started = task.started ? Date.parse(task.started) : Number.NaN;
      view.task = {
        id: task.id,
        name: task.name,
        running_time: Number.isFinite(started) ? Math.max(0, ctx.now() - started) : 0,
        last_iteration: task.last_iteration ?? 0,
      };
      if (task.project) {
        const project = ctx.projects.get(task.project);
        view.project = { id: task.project, name: project?.name ?? '' };
      }
    }
    return view;
  };

  return [
    {
      name: 'workers.register',
      versions: ['2.4', '2.22'],
      handle(call) {
        const request = parseRequest(requests.register, call.body);
        const timeout = request.timeout ?? ctx.settings.workerTimeoutSec;
        if (timeout <= 0) throw apiError('worker_registration_failed', 'timeout must be positive', { timeout });
        return inTransaction(() => {
          requireQueues(request.queues);
          const record = newRecord(call.identity, request.worker, call.clientIp, timeout);
          record.queues = request.queues ?? [];
          record.tags = request.tags ?? [];
          record.system_tags = request.system_tags ?? [];
          ctx.workers.save(record);
          return {};
        });
      },
    },
    {
      name: 'workers.unregister',
      versions: ['2.4'],
      handle(call) {
        const request = parseRequest(requests.unregister, call.body);
        ctx.workers.delete(keyOf(call.identity, request.worker));
        return {};
      },
    },
    {
      name: 'workers.status_report',
      versions: ['2.4', '2.22'],
      handle(call) {
        const request = parseRequest(requests.statusReport, call.body);
        return inTransaction(() => {
          const now = ctx.now();
          const key = keyOf(call.identity, request.worker);
          const record = ctx.workers.get(key, now) ?? newRecord(call.identity, request.worker, call.clientIp, ctx.settings.workerTimeoutSec);
          record.ip = call.clientIp;
          record.last_activity_time = now;
          record.last_report_time = now;
          record.queue = request.queue ?? null;
          if (request.queues && request.queues.length > 0) record.queues = request.queues;
          if (request.tags) record.tags = request.tags;
          if (request.system_tags) record.system_tags = request.system_tags;
          record.task = null;
          if (request.task !== undefined) {
            const task = taskOps.require(request.task);
            record.task = task.id;
            task.last_worker = request.worker;
            task.last_worker_report = isoDate(now);
            task.last_worker_timeout_sec = record.register_timeout;
            taskOps.touch(task);
            ctx.tasks.save(task);
          }
          ctx.workers.save(record);
          return {};
        });
      },
    },
    {
      name: 'workers.get_all',
      versions: ['2.4', '2.22', '2.30'],
      handle(call) {
        const request = parseRequest(requests.getAll, call.body);
        const now = ctx.now();
        ctx.workers.purgeExpired(now);
        const lastSeen = request.last_seen ?? 3600;
        const pattern = request.worker_pattern ? wildcardRegex(request.worker_pattern) : undefined;
        const workers = ctx.workers.live(now).filter((record) => {
          if (record.company !== call.identity.company) return false;
          if (lastSeen > 0 && now - record.last_activity_time > lastSeen * 1000) return false;
          if (pattern && !pattern.test(record.id)) return false;
          if (request.tags && !request.tags.some((tag) => record.tags.includes(tag))) return false;
          if (request.system_tags && !request.system_tags.some((tag) => record.system_tags.includes(tag))) return false;
          return true;
        });
        return { workers: workers.map(render) };
      },
    },
    {
      name: 'workers.get_runtime_properties',
      versions: ['2.10'],
      handle(call) {
        const request = parseRequest(requests.getRuntimeProperties, call.body);
        const now = ctx.now();
        const properties = ctx.workers.properties(request.worker, now).map((property) => ({
          key: property.key,
          value: property.value,
          expiry: property.expires === null ? null : Math.max(0, Math.ceil((property.expires - now) / 1000)),
        }));
        return { runtime_properties: properties };
      },
    },
    {
      name: 'workers.set_runtime_properties',
      versions: ['2.10'],
      handle(call) {
        const request = parseRequest(requests.setRuntimeProperties, call.body);
        return inTransaction(() => {
          const now = ctx.now();
          for (const property of request.runtime_properties) {
            if (property.value === null) {
              ctx.workers.deleteProperty(request.worker, property.key);
              continue;
            }
            const expires = property.expiry ? now + property.expiry * 1000 : null;
            ctx.workers.setProperty(request.worker, { key: property.key, value: String(property.value), expires });
          }
          // A daemon long-polling as this worker re-checks its force on/off now.
          ctx.waiters.releaseWorker(request.worker);
          return {};
        });
      },
    },
  ];
}
