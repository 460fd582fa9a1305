import { z } from 'zod';
import { bool, int } from '../request-fields.js';
import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import { newId } from '../ids.js';
import { idFilter, listFilter, listQueryFields, paginate, projectFields, sortDocs, stringListFilter } from '../list-query.js';
import { HIDDEN_QUEUE_TAGS, type QueueOperations } from '../queues/queue-operations.js';
import type { QueueDoc } from '../store/queue-store.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import { mergeMetadata, metadataItemSchema, metadataMap, metadataSchema, withoutMetadataKeys } from '../metadata.js';
import { parseRequest } from '../validation.js';


const queueFields = {
  tags: z.array(z.string()).optional(),
  system_tags: z.array(z.string()).optional(),
  metadata: metadataSchema.optional(),
  display_name: z.string().optional(),
};

const requests = {
  getAll: z.object({
    id: idFilter,
    name: z.string().optional(),
    tags: stringListFilter,
    system_tags: stringListFilter,
    search_text: z.string().optional(),
    max_task_entries: int(0).optional(),
    ...listQueryFields,
  }),
  getById: z.object({ queue: z.string(), max_task_entries: int(0).optional() }),
  create: z.object({ name: z.string(), ...queueFields }),
  update: z.object({ queue: z.string(), name: z.string().optional(), ...queueFields }),
  delete: z.object({ queue: z.string(), force: bool.optional() }),
  getNextTask: z.object({
    queue: z.string(),
    get_task_info: bool.optional(),
    task: z.string().optional(),
    wait_ms: int(0).optional(),
    // Our extensions (advertised in the token's tray_agent claim): pull from the first non-empty
    // of several queues in this order, and say which worker waits so its settings can wake it.
    queues: z.array(z.string()).min(1).max(100).optional(),
    worker: z.string().optional(),
  }),
  addTask: z.object({ queue: z.string(), task: z.string(), update_execution_queue: bool.optional() }),
  removeTask: z.object({ queue: z.string(), task: z.string(), update_task_status: bool.optional() }),
  queueOnly: z.object({ queue: z.string() }),
  addMetadata: z.object({ queue: z.string(), metadata: z.array(metadataItemSchema), replace_metadata: bool.optional() }),
  deleteMetadata: z.object({ queue: z.string(), keys: z.array(z.string()) }),
  moveBy: z.object({ queue: z.string(), task: z.string(), count: int(1).optional() }),
  move: z.object({ queue: z.string(), task: z.string() }),
  metrics: z.object({
    from_date: z.number(),
    to_date: z.number(),
    interval: int(1),
    queue_ids: z.array(z.string()).optional(),
    refresh: bool.optional(),
  }),
};

/** queues.get_queue_metrics answers at most this many buckets per queue. */
const MAX_METRIC_BUCKETS = 10_000;

/** ClearML's queue names: stripped, at least 3 characters, unique. */
export function validQueueName(ctx: ServerContext, raw: string, exceptId?: string): string {
  const name = raw.trim();
  if (name.length < 3) throw apiError('data_validation_error', 'queue name must be at least 3 characters', { name });
  const existing = ctx.queues.getByName(name);
  if (existing && existing.id !== exceptId) throw apiError('expected_unique_data', 'a queue with this name exists', { name });
  return name;
}

export function createQueue(
  ctx: ServerContext,
  identity: Identity,
  fields: { name: string; tags?: string[]; system_tags?: string[]; metadata?: QueueDoc['metadata']; display_name?: string },
): QueueDoc {
  const now = isoDate(ctx.now());
  const queue: QueueDoc = {
    id: newId(),
    name: validQueueName(ctx, fields.name),
    company: identity.company,
    user: identity.user,
    created: now,
    last_update: now,
    tags: fields.tags ?? [],
    system_tags: fields.system_tags ?? [],
    metadata: fields.metadata ?? {},
  };
  if (fields.display_name !== undefined) queue.display_name = fields.display_name;
  ctx.queues.insert(queue);
  return queue;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

export function queuesEndpoints(ctx: ServerContext, queueOps: QueueOperations, taskOps: TaskOperations): EndpointDefinition[] {
  const inTransaction = <T>(fn: () => T): T => ctx.db.transaction(fn)();

  /** Reverts the queued tasks taken out of a queue to their pre-enqueue status. */
  const releaseTasks = (taskIds: readonly string[], identity: Identity, reason: string) => {
    for (const taskId of taskIds) {
      const task = ctx.tasks.get(taskId);
      if (!task) continue;
      taskOps.revertDequeued(task, identity, reason);
      ctx.tasks.save(task);
    }
  };

  return [
    {
      name: 'queues.get_all',
      versions: ['2.4', '2.15', '2.20', '2.21'],
      handle(call) {
        const request = parseRequest(requests.getAll, call.body);
        const listed = listFilter(request, { searchIn: (queue) => `${queue.id} ${queue.name}` });
        const showHidden = request.search_hidden === true || request.id !== undefined || request.name !== undefined;
        let queues = ctx.queues.all().filter((queue) => {
          if (!listed(queue)) return false;
          if (!showHidden && queue.system_tags.some((tag) => HIDDEN_QUEUE_TAGS.includes(tag))) return false;
          return true;
        });
        queues = paginate(sortDocs(queues, request.order_by), request.page, request.page_size);
        return {
          queues: queues.map((queue) =>
            projectFields(queueOps.render(queue, request.max_task_entries) as JsonObject, request.only_fields),
          ),
        };
      },
    },
    {
      name: 'queues.get_by_id',
      versions: ['2.4', '2.20'],
      handle(call) {
        const request = parseRequest(requests.getById, call.body);
        return { queue: queueOps.render(queueOps.require(request.queue), request.max_task_entries) };
      },
    },
    {
      name: 'queues.get_default',
      versions: ['2.4'],
      handle() {
        const queue = queueOps.defaultQueue();
        return { id: queue.id, name: queue.name };
      },
    },
    {
      name: 'queues.create',
      versions: ['2.4', '2.13', '2.31'],
      handle(call) {
        const request = parseRequest(requests.create, call.body);
        const queue = inTransaction(() =>
          createQueue(ctx, call.identity, {
            name: request.name,
            ...(request.tags ? { tags: request.tags } : {}),
            ...(request.system_tags ? { system_tags: request.system_tags } : {}),
            ...(request.metadata ? { metadata: metadataMap(request.metadata) } : {}),
            ...(request.display_name !== undefined ? { display_name: request.display_name } : {}),
          }),
        );
        return { id: queue.id };
      },
    },
    {
      name: 'queues.update',
      versions: ['2.4', '2.13', '2.31'],
      handle(call) {
        const request = parseRequest(requests.update, call.body);
        return inTransaction(() => {
          const queue = queueOps.require(request.queue);
          const fields: JsonObject = {};
          if (request.name !== undefined) fields.name = queue.name = validQueueName(ctx, request.name, queue.id);
          if (request.tags !== undefined) fields.tags = queue.tags = request.tags;
          if (request.system_tags !== undefined) fields.system_tags = queue.system_tags = request.system_tags;
          if (request.metadata !== undefined) fields.metadata = queue.metadata = metadataMap(request.metadata);
          if (request.display_name !== undefined) fields.display_name = queue.display_name = request.display_name;
          if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
          fields.last_update = queue.last_update = isoDate(ctx.now());
          ctx.queues.save(queue);
          // Daemons long-polling this queue re-check its tags (force_workers:on/off) now.
          if (request.tags !== undefined) ctx.waiters.releaseQueue(queue.id);
          return { updated: 1, fields };
        });
      },
    },
    {
      name: 'queues.delete',
      versions: ['2.4'],
      handle(call) {
        const request = parseRequest(requests.delete, call.body);
        return inTransaction(() => {
          queueOps.require(request.queue);
          const count = ctx.queues.count(request.queue);
          if (count > 0 && !request.force) {
            throw apiError('queue_not_empty', `${count} task(s) queued; pass force:true to delete anyway`, { queue: request.queue });
          }
          const removed = ctx.queues.clear(request.queue);
          releaseTasks(removed, call.identity, 'queue deleted');
          ctx.queues.delete(request.queue);
          ctx.waiters.releaseQueue(request.queue);
          return { deleted: 1 };
        });
      },
    },
    {
      name: 'queues.get_next_task',
      versions: ['2.4', '2.14', '2.21'],
      async handle(call) {
        const request = parseRequest(requests.getNextTask, call.body);
        const queueIds = request.queues ?? [request.queue];
        for (const queueId of queueIds) queueOps.require(queueId);
        const options = { task: request.task, getTaskInfo: request.get_task_info };
        // Pops only for a connected caller, and puts the task back at the head of its queue
        // when the answer cannot be delivered (the caller hung up meanwhile).
        const pop = (): JsonObject => {
          if (!call.connectionAlive()) return {};
          for (const queueId of queueIds) {
            const popped = queueOps.popNext(queueId, call.identity, options);
            if (!popped) continue;
            call.onUndelivered(() => {
              if (queueOps.returnToHead(popped)) {
                ctx.log(`queues.get_next_task: the caller hung up before task ${popped.entry.task_id} reached it; back at the head of queue ${queueId}`);
              }
            });
            // With several queues the caller learns which one served it.
            return request.queues ? { ...popped.answer, queue: queueId } : popped.answer;
          }
          return {};
        };
        const popped = pop();
        if (Object.keys(popped).length > 0 || !request.wait_ms || request.task !== undefined) return popped;
        const waitMs = Math.min(request.wait_ms, ctx.settings.longPollMaxMs);
        return ctx.waiters.wait(queueIds, waitMs, call.signal, pop, request.worker ?? null, call.connectionAlive);
      },
    },
    {
      name: 'queues.add_task',
      versions: ['2.4', '2.31'],
      handle(call) {
        const request = parseRequest(requests.addTask, call.body);
        return inTransaction(() => {
          queueOps.require(request.queue);
          const task = taskOps.require(request.task);
          if (ctx.queues.contains(request.queue, request.task)) {
            throw apiError('task_already_queued', undefined, { queue: request.queue, task: request.task });
          }
          queueOps.push(request.queue, request.task);
          if (request.update_execution_queue !== false) {
            task.execution = { ...task.execution, queue: request.queue };
            ctx.tasks.save(task);
          }
          return { added: 1 };
        });
      },
    },
    {
      name: 'queues.remove_task',
      versions: ['2.4', '2.31'],
      handle(call) {
        const request = parseRequest(requests.removeTask, call.body);
        return inTransaction(() => {
          queueOps.require(request.queue);
          if (!ctx.queues.remove(request.queue, request.task)) {
            throw apiError('invalid_queue_or_task_not_queued', undefined, { queue: request.queue, task: request.task });
          }
          queueOps.touchQueue(request.queue);
          if (request.update_task_status) releaseTasks([request.task], call.identity, 'removed from queue');
          return { removed: 1 };
        });
      },
    },
    {
      name: 'queues.peek_task',
      versions: ['2.15'],
      handle(call) {
        const request = parseRequest(requests.queueOnly, call.body);
        queueOps.require(request.queue);
        return { task: ctx.queues.head(request.queue)?.task_id ?? null };
      },
    },
    {
      name: 'queues.get_num_entries',
      versions: ['2.15'],
      handle(call) {
        const request = parseRequest(requests.queueOnly, call.body);
        queueOps.require(request.queue);
        return { num: ctx.queues.count(request.queue) };
      },
    },
    {
      name: 'queues.clear_queue',
      versions: ['2.31'],
      handle(call) {
        const request = parseRequest(requests.queueOnly, call.body);
        return inTransaction(() => {
          queueOps.require(request.queue);
          const removed = ctx.queues.clear(request.queue);
          releaseTasks(removed, call.identity, 'queue cleared');
          queueOps.touchQueue(request.queue);
          return { removed_tasks: removed };
        });
      },
    },
    {
      name: 'queues.add_or_update_metadata',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.addMetadata, call.body);
        return inTransaction(() => {
          const queue = queueOps.require(request.queue);
          queue.metadata = mergeMetadata(queue.metadata, request.metadata, request.replace_metadata === true);
          queue.last_update = isoDate(ctx.now());
          ctx.queues.save(queue);
          return { updated: 1 };
        });
      },
    },
    {
      name: 'queues.delete_metadata',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.deleteMetadata, call.body);
        return inTransaction(() => {
          const queue = queueOps.require(request.queue);
          const { metadata, removed } = withoutMetadataKeys(queue.metadata, request.keys);
          if (!removed) return { updated: 0 };
          queue.metadata = metadata;
          queue.last_update = isoDate(ctx.now());
          ctx.queues.save(queue);
          return { updated: 1 };
        });
      },
    },
    {
      name: 'queues.move_task_forward',
      versions: ['2.4'],
      handle(call) {
        const request = parseRequest(requests.moveBy, call.body);
        return { position: queueOps.moveTask(request.queue, request.task, (index) => index - (request.count ?? 1)) };
      },
    },
    {
      name: 'queues.move_task_backward',
      versions: ['2.4'],
      handle(call) {
        const request = parseRequest(requests.moveBy, call.body);
        return { position: queueOps.moveTask(request.queue, request.task, (index) => index + (request.count ?? 1)) };
      },
    },
    {
      name: 'queues.move_task_to_front',
      versions: ['2.4'],
      handle(call) {
        const request = parseRequest(requests.move, call.body);
        return { position: queueOps.moveTask(request.queue, request.task, () => 0) };
      },
    },
    {
      name: 'queues.move_task_to_back',
      versions: ['2.4'],
      handle(call) {
        const request = parseRequest(requests.move, call.body);
        return { position: queueOps.moveTask(request.queue, request.task, (_index, length) => length - 1) };
      },
    },
    {
      name: 'queues.get_queue_metrics',
      versions: ['2.4', '2.20'],
      handle(call) {
        const request = parseRequest(requests.metrics, call.body);
        if (request.to_date <= request.from_date) {
          throw apiError('validation_error', "error for field 'to_date'. must be later than from_date", { from_date: request.from_date, to_date: request.to_date });
        }
        const buckets = Math.ceil((request.to_date - request.from_date) / request.interval);
        if (buckets > MAX_METRIC_BUCKETS) {
          throw apiError('validation_error', `error for field 'interval'. ${buckets} buckets asked for; give an interval that makes at most ${MAX_METRIC_BUCKETS}`);
        }
        const queueIds = request.queue_ids && request.queue_ids.length > 0 ? request.queue_ids : ctx.queues.all().map((queue) => queue.id);
        const fromMs = request.from_date * 1000;
        const toMs = request.to_date * 1000;
        const intervalMs = request.interval * 1000;
        const queues = queueIds.map((queueId) => {
          queueOps.require(queueId);
          const samples = ctx.queues.metricSamples(queueId, fromMs, toMs);
          // A bucket without changes keeps the state the last change left (queues do not move on their own).
          let last = ctx.queues.metricSampleBefore(queueId, fromMs) ?? { queue_length: 0, avg_waiting_ms: 0 };
          const dates: number[] = [];
          const lengths: number[] = [];
          const waits: number[] = [];
          let next = 0;
          for (let start = fromMs; start < toMs; start += intervalMs) {
            const inBucket: typeof samples = [];
            while (next < samples.length && (samples[next]?.timestamp ?? Infinity) < start + intervalMs) inBucket.push(samples[next++] as (typeof samples)[number]);
            dates.push(Math.floor(start / 1000));
            if (inBucket.length === 0) {
              lengths.push(last.queue_length);
              waits.push(round3(last.avg_waiting_ms / 1000));
              continue;
            }
            lengths.push(round3(inBucket.reduce((sum, sample) => sum + sample.queue_length, 0) / inBucket.length));
            waits.push(round3(inBucket.reduce((sum, sample) => sum + sample.avg_waiting_ms, 0) / inBucket.length / 1000));
            last = inBucket[inBucket.length - 1] as (typeof samples)[number];
          }
          return { queue: queueId, dates, avg_waiting_times: waits, queue_lengths: lengths };
        });
        return { queues };
      },
    },
  ];
}
