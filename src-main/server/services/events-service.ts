import { createHash } from 'node:crypto';
import { z } from 'zod';
import { bool, int } from '../request-fields.js';
import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import type { CallContext, EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { TaskDoc } from '../tasks/task-document.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import { parseRequest } from '../validation.js';

export const EVENT_TYPES = ['log', 'training_stats_scalar', 'training_stats_vector', 'training_debug_image', 'plot'] as const;
const LOCKED_STATUSES = ['publishing', 'published'];
const DEFAULT_LOG_BATCH = 500;
const MAX_LOG_BATCH = 10_000;

const getTaskLogRequest = z.object({
  task: z.string(),
  batch_size: int(1).optional(),
  navigate_earlier: bool.optional(),
  from_timestamp: z.number().optional(),
  order: z.enum(['asc', 'desc']).optional(),
  after_seq: int(0).optional(),
});

class EventRejected extends Error {}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

interface TouchedTask {
  task: TaskDoc;
  metrics: JsonObject[];
}

/**
 * events.add_batch / add / get_task_log. Validation is per event (§2.5): a bad event is
 * counted in `errors`/`errors_info` and the rest are stored; a batch with nothing stored is
 * a 400/131. Stored events get an increasing `seq` we return alongside.
 */
export function eventsEndpoints(ctx: ServerContext, taskOps: TaskOperations): EndpointDefinition[] {
  const validateEvent = (raw: unknown, call: CallContext, taskCache: Map<string, TaskDoc | null>) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new EventRejected('event is not a JSON object');
    const event = { ...(raw as JsonObject) };
    if (typeof event.type !== 'string' || event.type === '') throw new EventRejected('missing event type');
    const type = event.type.replace(/ /g, '_');
    if (!(EVENT_TYPES as readonly string[]).includes(type)) throw new EventRejected(`invalid event type ${type}`);
    if (typeof event.task !== 'string' || event.task === '') throw new EventRejected('missing task id');
    if (event.model_event === true) throw new EventRejected('model events are not supported');
    let task = taskCache.get(event.task);
    if (task === undefined) {
      task = ctx.tasks.get(event.task) ?? null;
      taskCache.set(event.task, task);
    }
    if (!task) throw new EventRejected('invalid task id');
    if (LOCKED_STATUSES.includes(task.status) && event.allow_locked !== true) throw new EventRejected('task is published');
    const timestamp = typeof event.timestamp === 'number' ? event.timestamp : typeof event.ts === 'number' ? event.ts : ctx.now();
    delete event.ts;
    delete event.allow_locked;
    delete event.model_event;
    const doc: JsonObject = {
      ...event,
      type,
      task: task.id,
      timestamp: Math.round(timestamp),
      worker: typeof event.worker === 'string' ? event.worker : (call.workerHeader ?? ''),
      metric: typeof event.metric === 'string' ? event.metric : '',
      variant: typeof event.variant === 'string' ? event.variant : '',
      '@timestamp': isoDate(Math.round(timestamp)),
    };
    if (event.iter !== undefined) {
      const iter = Number(event.iter);
      if (!Number.isFinite(iter)) throw new EventRejected('iter is not a number');
      doc.iter = Math.trunc(iter);
    }
    return { task, doc };
  };

  const recordMetric = (touched: TouchedTask, doc: JsonObject) => {
    if (typeof doc.iter === 'number') touched.task.last_iteration = Math.max(touched.task.last_iteration ?? 0, doc.iter);
    if (doc.type === 'training_stats_scalar' && typeof doc.value === 'number') touched.metrics.push(doc);
  };

  /** ClearML's last_metrics: metric hash → variant hash → latest value with min/max. */
  const applyLastMetrics = (touched: TouchedTask) => {
    if (touched.metrics.length === 0) return;
    const lastMetrics: JsonObject = structuredClone(touched.task.last_metrics ?? {});
    for (const event of touched.metrics) {
      const metric = String(event.metric);
      const variant = String(event.variant);
      const metricKey = md5(metric);
      const variantKey = md5(variant);
      const variants = (Object.hasOwn(lastMetrics, metricKey) ? lastMetrics[metricKey] : {}) as JsonObject;
      const previous = (Object.hasOwn(variants, variantKey) ? variants[variantKey] : undefined) as JsonObject | undefined;
      const value = event.value as number;
      variants[variantKey] = {
        metric,
        variant,
        value,
        min_value: Math.min(value, (previous?.min_value as number | undefined) ?? value),
        max_value: Math.max(value, (previous?.max_value as number | undefined) ?? value),
      };
      lastMetrics[metricKey] = variants;
    }
    touched.task.last_metrics = lastMetrics;
  };

  const addEvents = (items: readonly unknown[], call: CallContext): JsonObject => {
    if (items.length === 0) throw apiError('batch_contains_no_items');
    const errorsInfo: Record<string, number> = {};
    let added = 0;
    let errors = 0;
    ctx.db.transaction(() => {
      const taskCache = new Map<string, TaskDoc | null>();
      const touched = new Map<string, TouchedTask>();
      for (const raw of items) {
        try {
          const { task, doc } = validateEvent(raw, call, taskCache);
          ctx.events.insert(task.id, doc.type as string, doc.timestamp as number, doc);
          const entry = touched.get(task.id) ?? { task, metrics: [] };
          touched.set(task.id, entry);
          recordMetric(entry, doc);
          added++;
        } catch (error) {
          if (!(error instanceof EventRejected)) throw error;
          errors++;
          errorsInfo[error.message] = (errorsInfo[error.message] ?? 0) + 1;
        }
      }
      for (const entry of touched.values()) {
        applyLastMetrics(entry);
        taskOps.touch(entry.task);
        ctx.tasks.save(entry.task);
      }
    })();
    if (added === 0) {
      const details = Object.entries(errorsInfo).map(([message, count]) => `${message} (${count})`);
      throw apiError('events_not_added', details.join(', '));
    }
    return { added, errors, errors_info: errorsInfo };
  };

  return [
    {
      name: 'events.add_batch',
      versions: ['2.1', '2.22'],
      batch: true,
      handle(call) {
        // Without the json-lines content type the body is read as one event.
        const items = call.batch ?? (Object.keys(call.body).length > 0 ? [call.body] : []);
        return addEvents(items, call);
      },
    },
    {
      name: 'events.add',
      versions: ['2.1', '2.22'],
      handle(call) {
        return addEvents([call.body], call);
      },
    },
    {
      name: 'events.get_task_log',
      versions: ['2.9', '2.30'],
      handle(call) {
        const request = parseRequest(getTaskLogRequest, call.body);
        taskOps.require(request.task);
        const limit = Math.min(request.batch_size ?? DEFAULT_LOG_BATCH, MAX_LOG_BATCH);
        const total = ctx.events.count(request.task, 'log');
        let stored;
        if (request.after_seq !== undefined) {
          stored = ctx.events.afterSeq(request.task, 'log', request.after_seq, limit);
        } else {
          const earlier = request.navigate_earlier ?? true;
          stored = ctx.events.navigate(request.task, 'log', earlier, request.from_timestamp, limit);
          if ((earlier && request.order === 'asc') || (!earlier && request.order === 'desc')) stored.reverse();
        }
        const events = stored.map((event) => ({ ...event.doc, seq: event.seq }));
        return { events, returned: events.length, total };
      },
    },
  ];
}
