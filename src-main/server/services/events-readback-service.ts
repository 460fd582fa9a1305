import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import { decodeScrollId, encodeScrollId } from '../http/scroll-id.js';
import { bool, int } from '../request-fields.js';
import type { StoredEvent } from '../store/event-store.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import { parseRequest } from '../validation.js';

const SCALAR = 'training_stats_scalar';
const PLOT = 'plot';
const DEBUG_IMAGE = 'training_debug_image';
/** The iteration the SDK's report_single_value uses. */
const SINGLE_VALUE_ITER = -(2 ** 31);
const EVENT_TYPE_FILTER = ['training_stats_scalar', 'training_stats_vector', 'training_debug_image', 'plot', 'log', '*'] as const;

const metricVariants = z.array(z.object({ metric: z.string(), variants: z.array(z.string()).optional() }));
const taskIds = z.array(z.string()).min(1);

const requests = {
  histogram: z.object({
    task: z.string(),
    samples: int(1).pipe(z.number().max(6000)).optional(),
    key: z.enum(['iter', 'timestamp', 'iso_time']).optional(),
    metrics: metricVariants.optional(),
    model_events: bool.optional(),
  }),
  task: z.object({ task: z.string(), model_events: bool.optional() }),
  taskPlots: z.object({
    task: z.string(),
    iters: int(1).optional(),
    scroll_id: z.string().optional(),
    no_scroll: bool.optional(),
    metrics: metricVariants.optional(),
    model_events: bool.optional(),
  }),
  multiTaskPlots: z.object({
    tasks: taskIds,
    iters: int(1).optional(),
    scroll_id: z.string().optional(),
    no_scroll: bool.optional(),
    last_iters_per_task_metric: bool.optional(),
    model_events: bool.optional(),
  }),
  debugImages: z.object({
    metrics: z.array(z.object({ task: z.string(), metric: z.string().optional(), variants: z.array(z.string()).optional() })).min(1),
    iters: int(1).optional(),
    navigate_earlier: bool.optional(),
    refresh: bool.optional(),
    scroll_id: z.string().optional(),
    model_events: bool.optional(),
  }),
  sample: z.object({
    task: z.string(),
    metric: z.string(),
    variant: z.string(),
    iteration: int().optional(),
    refresh: bool.optional(),
    scroll_id: z.string().optional(),
    navigate_current_metric: bool.optional(),
    model_events: bool.optional(),
  }),
  nextSample: z.object({
    task: z.string(),
    scroll_id: z.string(),
    navigate_earlier: bool.optional(),
    next_iteration: bool.optional(),
    model_events: bool.optional(),
  }),
  taskMetrics: z.object({ tasks: taskIds, event_type: z.enum(EVENT_TYPE_FILTER), model_events: bool.optional() }),
  taskEvents: z.object({
    task: z.string(),
    batch_size: int(1).optional(),
    event_type: z.enum(EVENT_TYPE_FILTER).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    scroll_id: z.string().optional(),
    metrics: metricVariants.optional(),
    count_total: bool.optional(),
    model_events: bool.optional(),
  }),
  tasks: z.object({ tasks: taskIds, model_events: bool.optional() }),
};

type MetricFilter = z.output<typeof metricVariants> | undefined;

function wanted(filter: MetricFilter, metric: string, variant: string): boolean {
  if (!filter || filter.length === 0) return true;
  return filter.some((item) => item.metric === metric && (!item.variants || item.variants.length === 0 || item.variants.includes(variant)));
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const iterOf = (doc: JsonObject) => (typeof doc.iter === 'number' ? doc.iter : 0);

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function childObject(target: JsonObject, key: string): JsonObject {
  if (!Object.hasOwn(target, key)) defineOwn(target, key, {});
  return target[key] as JsonObject;
}

/**
 * ClearML's chart read-back: averages of the y values in equal runs of consecutive points when a
 * series has more than `samples` points (its "sampling window"), else every point.
 */
function downsample(xs: Array<number | string>, ys: number[], samples: number): { x: Array<number | string>; y: number[] } {
  if (xs.length <= samples) return { x: xs, y: ys };
  const size = Math.ceil(xs.length / samples);
  const x: Array<number | string> = [];
  const y: number[] = [];
  for (let start = 0; start < xs.length; start += size) {
    const slice = ys.slice(start, start + size);
    x.push(xs[start] as number | string);
    y.push(slice.reduce((sum, value) => sum + value, 0) / slice.length);
  }
  return { x, y };
}

/** The last `iters` iterations of each (metric, variant) of `events`, newest first. */
function lastIterationsPerSeries(events: StoredEvent[], iters: number, filter: MetricFilter): JsonObject[] {
  const bySeries = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const metric = text(event.doc.metric);
    const variant = text(event.doc.variant);
    if (!wanted(filter, metric, variant)) continue;
    const key = `${metric}\u0000${variant}`;
    const list = bySeries.get(key) ?? [];
    list.push(event);
    bySeries.set(key, list);
  }
  const selected: StoredEvent[] = [];
  for (const list of bySeries.values()) {
    const iterations = [...new Set(list.map((event) => iterOf(event.doc)))].sort((a, b) => b - a).slice(0, iters);
    const keep = new Set(iterations);
    selected.push(...list.filter((event) => keep.has(iterOf(event.doc))));
  }
  selected.sort((a, b) => iterOf(b.doc) - iterOf(a.doc) || a.seq - b.seq);
  return selected.map((event) => event.doc);
}

interface DebugImagesState extends Record<string, unknown> {
  kind: 'debug_images';
  /** per `task\0metric`: [lowest, highest] iteration handed out so far */
  ranges: Record<string, [number, number]>;
  navigate_earlier: boolean;
}

interface SampleState extends Record<string, unknown> {
  kind: 'sample';
  task: string;
  metric: string;
  variant: string;
  iter: number;
  /** navigate within this metric only (ClearML's navigate_current_metric) */
  current_metric: boolean;
}

interface PageState extends Record<string, unknown> {
  kind: 'page';
  offset: number;
}

interface DoneState extends Record<string, unknown> {
  kind: 'done';
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isDebugImagesState = (value: unknown): value is DebugImagesState => isRecord(value) && value.kind === 'debug_images' && isRecord(value.ranges);
const isSampleState = (value: unknown): value is SampleState => isRecord(value) && value.kind === 'sample' && typeof value.task === 'string' && typeof value.iter === 'number';
const isPageState = (value: unknown): value is PageState => isRecord(value) && value.kind === 'page' && typeof value.offset === 'number';
const isDoneState = (value: unknown): value is DoneState => isRecord(value) && value.kind === 'done';

/**
 * Reading reported metrics back in ClearML's shapes: scalar charts, metric/variant lists, plots
 * (one task or several), debug images by iteration, the debug-image sample navigator, raw task
 * events, single values and latest scalars.
 */
export function eventsReadbackEndpoints(ctx: ServerContext, taskOps: TaskOperations): EndpointDefinition[] {
  /** A read-back request, parsed; one asking for model events (not stored here) is refused. */
  const readRequest = <S extends z.ZodType<{ model_events?: boolean | undefined }>>(schema: S, body: JsonObject): z.output<S> => {
    const request = parseRequest(schema, body);
    if (request.model_events) throw apiError('validation_error', "error for field 'model_events'. model events are not stored by this server");
    return request;
  };

  /** The sample-navigator answer for `event` (or none), with the variant's iteration range. */
  const sampleAnswer = (state: SampleState, event: JsonObject | null): JsonObject => {
    const iterations = ctx.events
      .ofType(state.task, DEBUG_IMAGE)
      .filter((item) => text(item.doc.metric) === state.metric && text(item.doc.variant) === state.variant)
      .map((item) => iterOf(item.doc));
    return {
      scroll_id: encodeScrollId(state),
      event,
      min_iteration: iterations.length ? Math.min(...iterations) : null,
      max_iteration: iterations.length ? Math.max(...iterations) : null,
    };
  };

  return [
    {
      name: 'events.scalar_metrics_iter_histogram',
      versions: ['2.1', '2.14', '2.22'],
      handle(call) {
        const request = readRequest(requests.histogram, call.body);
        taskOps.require(request.task);
        const key = request.key ?? 'iter';
        const series = new Map<string, { metric: string; variant: string; points: Array<{ order: number; x: number | string; y: number }> }>();
        for (const point of ctx.events.scalarPoints(request.task)) {
          if (typeof point.value !== 'number' || point.iter === SINGLE_VALUE_ITER) continue;
          const metric = point.metric ?? '';
          const variant = point.variant ?? '';
          if (!wanted(request.metrics, metric, variant)) continue;
          const id = `${metric}\u0000${variant}`;
          const entry = series.get(id) ?? { metric, variant, points: [] };
          const iter = point.iter ?? 0;
          const x = key === 'iter' ? iter : key === 'timestamp' ? point.timestamp : isoDate(point.timestamp);
          entry.points.push({ order: key === 'iter' ? iter : point.timestamp, x, y: point.value });
          series.set(id, entry);
        }
        const result: JsonObject = {};
        const samples = request.samples ?? 5000;
        for (const entry of [...series.values()].sort((a, b) => compareKeys(a.metric, b.metric) || compareKeys(a.variant, b.variant))) {
          // Ordered by the x axis, as ClearML's histogram buckets are; equal x keep report order.
          const points = entry.points.map((point, index) => ({ ...point, index })).sort((a, b) => a.order - b.order || a.index - b.index);
          const { x, y } = downsample(
            points.map((point) => point.x),
            points.map((point) => point.y),
            samples,
          );
          defineOwn(childObject(result, entry.metric), entry.variant, { name: entry.variant, x, y });
        }
        return result;
      },
    },
    {
      name: 'events.get_scalar_metrics_and_variants',
      versions: ['2.1', '2.22'],
      handle(call) {
        const request = readRequest(requests.task, call.body);
        taskOps.require(request.task);
        const metrics: Record<string, string[]> = {};
        const pairs = ctx.events.metricVariants(request.task, SCALAR).sort((a, b) => compareKeys(a.metric ?? '', b.metric ?? '') || compareKeys(a.variant ?? '', b.variant ?? ''));
        for (const { metric, variant } of pairs) {
          const list = Object.hasOwn(metrics, metric ?? '') ? (metrics[metric ?? ''] as string[]) : [];
          list.push(variant ?? '');
          defineOwn(metrics, metric ?? '', list);
        }
        return { metrics };
      },
    },
    {
      name: 'events.get_task_plots',
      versions: ['2.1', '2.22'],
      handle(call) {
        const request = readRequest(requests.taskPlots, call.body);
        taskOps.require(request.task);
        if (request.scroll_id !== undefined) {
          decodeScrollId(request.scroll_id, isDoneState);
          return { plots: [], returned: 0, total: ctx.events.count(request.task, PLOT), scroll_id: request.scroll_id };
        }
        const plots = lastIterationsPerSeries(ctx.events.ofType(request.task, PLOT), request.iters ?? 1, request.metrics);
        const scrollId = request.no_scroll ? null : encodeScrollId({ kind: 'done' });
        return { plots, returned: plots.length, total: ctx.events.count(request.task, PLOT), scroll_id: scrollId };
      },
    },
    {
      name: 'events.get_multi_task_plots',
      versions: ['2.1', '2.22'],
      handle(call) {
        const request = readRequest(requests.multiTaskPlots, call.body);
        const tasks = request.tasks.map((id) => taskOps.require(id));
        if (request.scroll_id !== undefined) {
          decodeScrollId(request.scroll_id, isDoneState);
          return { plots: {}, returned: 0, total: 0, scroll_id: request.scroll_id };
        }
        // metric → variant → task → iteration → {name: task name, plots: [events]}
        const plots: JsonObject = {};
        let returned = 0;
        let total = 0;
        for (const task of tasks) {
          const all = ctx.events.ofType(task.id, PLOT);
          total += all.length;
          for (const doc of lastIterationsPerSeries(all, request.iters ?? 1, undefined)) {
            const byIter = childObject(childObject(childObject(plots, text(doc.metric)), text(doc.variant)), task.id);
            const iterKey = String(iterOf(doc));
            if (!Object.hasOwn(byIter, iterKey)) defineOwn(byIter, iterKey, { name: task.name, plots: [] });
            ((byIter[iterKey] as JsonObject).plots as JsonObject[]).push(doc);
            returned++;
          }
        }
        return { plots, returned, total, scroll_id: request.no_scroll ? null : encodeScrollId({ kind: 'done' }) };
      },
    },
    {
      name: 'events.debug_images',
      versions: ['2.7', '2.14', '2.22'],
      handle(call) {
        const request = readRequest(requests.debugImages, call.body);
        const previous = request.scroll_id !== undefined && !request.refresh ? decodeScrollId(request.scroll_id, isDebugImagesState) : undefined;
        const earlier = previous?.navigate_earlier ?? request.navigate_earlier ?? true;
        const iters = request.iters ?? 1;
        const ranges: Record<string, [number, number]> = { ...(previous?.ranges ?? {}) };
        const metrics: JsonObject[] = [];
        for (const requested of request.metrics) {
          taskOps.require(requested.task);
          const images = ctx.events.ofType(requested.task, DEBUG_IMAGE);
          const names = requested.metric !== undefined ? [requested.metric] : [...new Set(images.map((event) => text(event.doc.metric)))].sort(compareKeys);
          for (const metric of names) {
            const events = images.filter(
              (event) => text(event.doc.metric) === metric && (!requested.variants || requested.variants.length === 0 || requested.variants.includes(text(event.doc.variant))),
            );
            const rangeKey = `${requested.task}\u0000${metric}`;
            const range = ranges[rangeKey];
            let iterations = [...new Set(events.map((event) => iterOf(event.doc)))].sort((a, b) => (earlier ? b - a : a - b));
            if (range) iterations = iterations.filter((iter) => (earlier ? iter < range[0] : iter > range[1]));
            iterations = iterations.slice(0, iters);
            if (iterations.length > 0) {
              const low = Math.min(...iterations, range?.[0] ?? Number.POSITIVE_INFINITY);
              const high = Math.max(...iterations, range?.[1] ?? Number.NEGATIVE_INFINITY);
              defineOwn(ranges, rangeKey, [low, high]);
            }
            metrics.push({
              task: requested.task,
              metric,
              iterations: iterations.map((iter) => ({
                iter,
                events: events
                  .filter((event) => iterOf(event.doc) === iter)
                  .sort((a, b) => compareKeys(text(a.doc.variant), text(b.doc.variant)) || a.seq - b.seq)
                  .map((event) => event.doc),
              })),
            });
          }
        }
        return { metrics, scroll_id: encodeScrollId({ kind: 'debug_images', ranges, navigate_earlier: earlier }) };
      },
    },
    {
      name: 'events.get_debug_image_sample',
      versions: ['2.12'],
      handle(call) {
        const request = readRequest(requests.sample, call.body);
        taskOps.require(request.task);
        const events = ctx.events
          .ofType(request.task, DEBUG_IMAGE)
          .filter((event) => text(event.doc.metric) === request.metric && text(event.doc.variant) === request.variant);
        const chosen =
          request.iteration !== undefined
            ? events.filter((event) => iterOf(event.doc) === request.iteration).at(-1)
            : [...events].sort((a, b) => iterOf(a.doc) - iterOf(b.doc) || a.seq - b.seq).at(-1);
        const state: SampleState = {
          kind: 'sample',
          task: request.task,
          metric: request.metric,
          variant: request.variant,
          iter: chosen ? iterOf(chosen.doc) : (request.iteration ?? 0),
          current_metric: request.navigate_current_metric ?? true,
        };
        return sampleAnswer(state, chosen?.doc ?? null);
      },
    },
    {
      name: 'events.next_debug_image_sample',
      versions: ['2.12'],
      handle(call) {
        const request = readRequest(requests.nextSample, call.body);
        const state = decodeScrollId(request.scroll_id, isSampleState);
        if (state.task !== request.task) throw apiError('invalid_scroll_id', 'the scroll id belongs to another task', { task: request.task });
        taskOps.require(request.task);
        const earlier = request.navigate_earlier ?? true;
        let candidates = ctx.events.ofType(state.task, DEBUG_IMAGE);
        if (request.next_iteration) {
          candidates = candidates.filter((event) => text(event.doc.metric) === state.metric && text(event.doc.variant) === state.variant);
        } else if (state.current_metric) {
          candidates = candidates.filter((event) => text(event.doc.metric) === state.metric);
        }
        // Navigation order: iteration, then metric and variant; the current position excluded.
        const position = (doc: JsonObject) => [iterOf(doc), text(doc.metric), text(doc.variant)] as const;
        const compare = (a: readonly [number, string, string], b: readonly [number, string, string]) =>
          a[0] - b[0] || compareKeys(a[1], b[1]) || compareKeys(a[2], b[2]);
        const here = [state.iter, state.metric, state.variant] as const;
        const ordered = [...candidates].sort((a, b) => compare(position(a.doc), position(b.doc)) || a.seq - b.seq);
        const next = earlier
          ? ordered.filter((event) => compare(position(event.doc), here) < 0 && (!request.next_iteration || iterOf(event.doc) < state.iter)).at(-1)
          : ordered.find((event) => compare(position(event.doc), here) > 0 && (!request.next_iteration || iterOf(event.doc) > state.iter));
        if (!next) return sampleAnswer(state, null);
        const moved: SampleState = { ...state, iter: iterOf(next.doc), metric: text(next.doc.metric), variant: text(next.doc.variant) };
        return sampleAnswer(moved, next.doc);
      },
    },
    {
      name: 'events.get_task_metrics',
      versions: ['2.7', '2.22'],
      handle(call) {
        const request = readRequest(requests.taskMetrics, call.body);
        const types = request.event_type === '*' ? ['training_stats_scalar', 'training_stats_vector', 'training_debug_image', 'plot', 'log'] : [request.event_type];
        const metrics = request.tasks.map((id) => {
          taskOps.require(id);
          const names = new Set<string>();
          for (const type of types) for (const pair of ctx.events.metricVariants(id, type)) names.add(pair.metric ?? '');
          return { task: id, metrics: [...names].sort(compareKeys) };
        });
        return { metrics };
      },
    },
    {
      name: 'events.get_task_events',
      versions: ['2.1', '2.22'],
      handle(call) {
        const request = readRequest(requests.taskEvents, call.body);
        taskOps.require(request.task);
        const offset = request.scroll_id !== undefined ? decodeScrollId(request.scroll_id, isPageState).offset : 0;
        const batch = Math.min(request.batch_size ?? 500, 10_000);
        const type = request.event_type === undefined || request.event_type === '*' ? null : request.event_type;
        let events: JsonObject[];
        let total: number;
        let consumed: number;
        if (request.metrics && request.metrics.length > 0) {
          // Metric filters are applied over the whole (type-narrowed) list, then paged.
          const everything = ctx.events.page(request.task, type, request.order ?? 'asc', 0, Number.MAX_SAFE_INTEGER).events.filter((event) =>
            wanted(request.metrics, text(event.doc.metric), text(event.doc.variant)),
          );
          total = everything.length;
          events = everything.slice(offset, offset + batch).map((event) => event.doc);
          consumed = events.length;
        } else {
          const page = ctx.events.page(request.task, type, request.order ?? 'asc', offset, batch);
          events = page.events.map((event) => event.doc);
          total = page.total;
          consumed = events.length;
        }
        return { events, returned: events.length, total, scroll_id: encodeScrollId({ kind: 'page', offset: offset + consumed }) };
      },
    },
    {
      name: 'events.get_task_single_value_metrics',
      versions: ['2.20', '2.22'],
      handle(call) {
        const request = readRequest(requests.tasks, call.body);
        const tasks = request.tasks.map((id) => {
          const task = taskOps.require(id);
          const latest = new Map<string, JsonObject>();
          for (const event of ctx.events.ofType(id, SCALAR)) {
            if (event.doc.iter !== SINGLE_VALUE_ITER) continue;
            latest.set(`${text(event.doc.metric)}\u0000${text(event.doc.variant)}`, event.doc);
          }
          const values = [...latest.values()].map((doc) => ({ metric: text(doc.metric), variant: text(doc.variant), value: doc.value, timestamp: doc.timestamp }));
          return { task: id, task_name: task.name, values };
        });
        return { tasks };
      },
    },
    {
      name: 'events.get_task_latest_scalar_values',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.task, call.body);
        const task = taskOps.require(request.task);
        const byMetric = new Map<string, Array<{ name: string; last_value: unknown }>>();
        let lastTimestamp = 0;
        for (const point of ctx.events.scalarPoints(task.id)) {
          if (point.iter === SINGLE_VALUE_ITER) continue;
          lastTimestamp = Math.max(lastTimestamp, point.timestamp);
          const variants = byMetric.get(point.metric ?? '') ?? [];
          const existing = variants.find((item) => item.name === (point.variant ?? ''));
          if (existing) existing.last_value = point.value;
          else variants.push({ name: point.variant ?? '', last_value: point.value });
          byMetric.set(point.metric ?? '', variants);
        }
        const metrics = [...byMetric.entries()].sort(([a], [b]) => compareKeys(a, b)).map(([name, variants]) => ({ name, variants }));
        return { metrics, last_iter: task.last_iteration ?? 0, name: task.name, status: task.status, last_timestamp: lastTimestamp };
      },
    },
  ];
}
