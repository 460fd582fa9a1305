import { describe, expect, it } from 'vitest';
import { createTask, useServerSession, type JsonRecord, type Session } from './api-call.js';

let session: Session;

useServerSession((bed) => ({ session } = bed));

const jsonLines = (events: unknown[]) => events.map((event) => JSON.stringify(event)).join('\n');

async function report(events: Record<string, unknown>[]): Promise<void> {
  const result = await session.call('events.add_batch', undefined, { rawBody: jsonLines(events), headers: { 'content-type': 'application/json-lines' } });
  expect(result.envelope.data).toMatchObject({ added: events.length, errors: 0 });
}

const scalar = (task: string, metric: string, variant: string, iter: number, value: number, timestamp = 1_700_000_000_000 + iter * 1000) => ({
  type: 'training_stats_scalar',
  task,
  metric,
  variant,
  iter,
  value,
  timestamp,
});
const plot = (task: string, metric: string, variant: string, iter: number) => ({
  type: 'plot',
  task,
  metric,
  variant,
  iter,
  plot_str: JSON.stringify({ data: [{ x: [1, 2], y: [iter, iter] }], layout: { title: metric } }),
  timestamp: 1_700_000_000_000 + iter,
});
const image = (task: string, metric: string, variant: string, iter: number) => ({
  type: 'training_debug_image',
  task,
  metric,
  variant,
  iter,
  key: `${metric}/${variant}/${iter}`,
  url: `http://127.0.0.1:8081/p/t/metrics/${metric}/${variant}/${iter}.png`,
  timestamp: 1_700_000_000_000 + iter,
});

describe('metric read-back in ClearML shapes', () => {
  it('scalar charts: metric → variant → {name, x, y}, by iteration, timestamp or ISO time, sampled', async () => {
    const task = await createTask(session);
    // reported out of order on purpose; the single value (iter -2^31) is not a chart point
    await report([
      scalar(task, 'loss', 'train', 2, 0.5),
      scalar(task, 'loss', 'train', 1, 0.8),
      scalar(task, 'loss', 'val', 1, 0.9),
      scalar(task, 'acc', 'val', 1, 0.6),
      scalar(task, 'loss', 'train', 3, 0.3),
      scalar(task, 'Summary', 'best', -(2 ** 31), 0.99),
    ]);
    const byIter = await session.ok<JsonRecord>('events.scalar_metrics_iter_histogram', { task });
    expect(byIter).toEqual({
      acc: { val: { name: 'val', x: [1], y: [0.6] } },
      loss: { train: { name: 'train', x: [1, 2, 3], y: [0.8, 0.5, 0.3] }, val: { name: 'val', x: [1], y: [0.9] } },
    });
    const byTime = await session.ok<JsonRecord>('events.scalar_metrics_iter_histogram', { task, key: 'timestamp' });
    expect(byTime.loss.train.x).toEqual([1_700_000_001_000, 1_700_000_002_000, 1_700_000_003_000]);
    const byIso = await session.ok<JsonRecord>('events.scalar_metrics_iter_histogram', { task, key: 'iso_time', metrics: [{ metric: 'acc', variants: ['val'] }] });
    expect(byIso).toEqual({ acc: { val: { name: 'val', x: ['2023-11-14T22:13:21.000000+00:00'], y: [0.6] } } });
    const sampled = await session.ok<JsonRecord>('events.scalar_metrics_iter_histogram', { task, samples: 2 });
    expect(sampled.loss.train).toEqual({ name: 'train', x: [1, 3], y: [(0.8 + 0.5) / 2, 0.3] });

    expect(await session.ok('events.get_scalar_metrics_and_variants', { task })).toEqual({ metrics: { Summary: ['best'], acc: ['val'], loss: ['train', 'val'] } });
    const single = await session.ok<JsonRecord>('events.get_task_single_value_metrics', { tasks: [task] });
    expect(single.tasks).toEqual([{ task, task_name: 'test task', values: [{ metric: 'Summary', variant: 'best', value: 0.99, timestamp: expect.any(Number) }] }]);
    const latest = await session.ok<JsonRecord>('events.get_task_latest_scalar_values', { task });
    expect(latest.metrics).toEqual([
      { name: 'acc', variants: [{ name: 'val', last_value: 0.6 }] },
      { name: 'loss', variants: [{ name: 'train', last_value: 0.3 }, { name: 'val', last_value: 0.9 }] },
    ]);
    // last_metrics was maintained while the events came in
    const stored = (await session.ok<{ task: JsonRecord }>('tasks.get_by_id', { task })).task;
    expect(stored.last_iteration).toBe(3);
    expect(Object.values(stored.last_metrics).flatMap((variants) => Object.values(variants as JsonRecord)).map((item) => (item as JsonRecord).metric)).toContain('loss');
  });

  it('plots: the last iterations per metric/variant of one task, and grouped for several', async () => {
    const task = await createTask(session);
    const other = await createTask(session, { name: 'other task' });
    await report([plot(task, 'confusion', 'val', 1), plot(task, 'confusion', 'val', 2), plot(task, 'roc', 'val', 1), plot(other, 'confusion', 'val', 5)]);
    const last = await session.ok<JsonRecord>('events.get_task_plots', { task, iters: 1, no_scroll: true });
    expect(last.plots.map((p: JsonRecord) => [p.metric, p.iter])).toEqual([
      ['confusion', 2],
      ['roc', 1],
    ]);
    expect(JSON.parse(last.plots[0].plot_str).layout.title).toBe('confusion');
    expect(last).toMatchObject({ returned: 2, total: 3 });
    const two = await session.ok<JsonRecord>('events.get_task_plots', { task, iters: 2 });
    expect(two.plots).toHaveLength(3);
    const after = await session.ok<JsonRecord>('events.get_task_plots', { task, scroll_id: two.scroll_id });
    expect(after.plots).toEqual([]);

    const multi = await session.ok<JsonRecord>('events.get_multi_task_plots', { tasks: [task, other], iters: 1 });
    expect(multi.plots.confusion.val[task]['2']).toMatchObject({ name: 'test task', plots: [{ iter: 2, metric: 'confusion' }] });
    expect(multi.plots.confusion.val[other]['5']).toMatchObject({ name: 'other task', plots: [{ iter: 5 }] });
    expect(multi.plots.roc.val[task]['1'].plots).toHaveLength(1);

    expect(await session.ok('events.get_task_metrics', { tasks: [task, other], event_type: 'plot' })).toEqual({
      metrics: [
        { task, metrics: ['confusion', 'roc'] },
        { task: other, metrics: ['confusion'] },
      ],
    });
  });

  it('debug images: newest iterations first, then earlier ones through the scroll id, as Task.get_debug_samples walks them', async () => {
    const task = await createTask(session);
    await report([image(task, 'samples', 'a', 1), image(task, 'samples', 'b', 1), image(task, 'samples', 'a', 2), image(task, 'samples', 'a', 3), image(task, 'other', 'x', 1)]);
    const first = await session.ok<JsonRecord>('events.debug_images', { metrics: [{ task, metric: 'samples', variants: ['a', 'b'] }], iters: 2 });
    expect(first.metrics).toHaveLength(1);
    expect(first.metrics[0]).toMatchObject({ task, metric: 'samples' });
    expect(first.metrics[0].iterations.map((it: JsonRecord) => [it.iter, it.events.map((e: JsonRecord) => e.variant)])).toEqual([
      [3, ['a']],
      [2, ['a']],
    ]);
    expect(first.metrics[0].iterations[0].events[0].url).toBe('http://127.0.0.1:8081/p/t/metrics/samples/a/3.png');
    const second = await session.ok<JsonRecord>('events.debug_images', { metrics: [{ task, metric: 'samples', variants: ['a', 'b'] }], iters: 2, scroll_id: first.scroll_id });
    expect(second.metrics[0].iterations.map((it: JsonRecord) => [it.iter, it.events.map((e: JsonRecord) => e.variant)])).toEqual([[1, ['a', 'b']]]);
    const third = await session.ok<JsonRecord>('events.debug_images', { metrics: [{ task, metric: 'samples', variants: ['a', 'b'] }], iters: 2, scroll_id: second.scroll_id });
    expect(third.metrics[0].iterations).toEqual([]);
    const allMetrics = await session.ok<JsonRecord>('events.debug_images', { metrics: [{ task }] });
    expect(allMetrics.metrics.map((m: JsonRecord) => [m.metric, m.iterations.map((it: JsonRecord) => it.iter)])).toEqual([
      ['other', [1]],
      ['samples', [3]],
    ]);
    const bad = await session.call('events.debug_images', { metrics: [{ task }], scroll_id: 'not-ours' });
    expect([bad.status, bad.envelope.meta.result_subcode]).toEqual([400, 1104]);
  });

  it('debug image sample navigation: a variant at an iteration, then earlier and later', async () => {
    const task = await createTask(session);
    await report([image(task, 'm', 'a', 1), image(task, 'm', 'b', 1), image(task, 'm', 'a', 2)]);
    const latest = await session.ok<JsonRecord>('events.get_debug_image_sample', { task, metric: 'm', variant: 'a' });
    expect(latest).toMatchObject({ event: { iter: 2, variant: 'a' }, min_iteration: 1, max_iteration: 2 });
    const previous = await session.ok<JsonRecord>('events.next_debug_image_sample', { task, scroll_id: latest.scroll_id });
    expect(previous.event).toMatchObject({ iter: 1, variant: 'b' });
    const before = await session.ok<JsonRecord>('events.next_debug_image_sample', { task, scroll_id: previous.scroll_id });
    expect(before.event).toMatchObject({ iter: 1, variant: 'a' });
    const none = await session.ok<JsonRecord>('events.next_debug_image_sample', { task, scroll_id: before.scroll_id });
    expect(none.event).toBeNull();
    const sameVariantLater = await session.ok<JsonRecord>('events.next_debug_image_sample', { task, scroll_id: before.scroll_id, navigate_earlier: false, next_iteration: true });
    expect(sameVariantLater.event).toMatchObject({ iter: 2, variant: 'a' });
    const atIteration = await session.ok<JsonRecord>('events.get_debug_image_sample', { task, metric: 'm', variant: 'b', iteration: 1 });
    expect(atIteration.event).toMatchObject({ iter: 1, variant: 'b' });
  });

  it('raw task events, paged with a scroll id and filtered by type and metric', async () => {
    const task = await createTask(session);
    await report([scalar(task, 'loss', 'train', 1, 1), { type: 'log', task, msg: 'hello', timestamp: 1_700_000_000_500 }, scalar(task, 'loss', 'train', 2, 0.5), plot(task, 'p', 'v', 1)]);
    const page1 = await session.ok<JsonRecord>('events.get_task_events', { task, batch_size: 2 });
    expect(page1).toMatchObject({ returned: 2, total: 4 });
    const page2 = await session.ok<JsonRecord>('events.get_task_events', { task, batch_size: 2, scroll_id: page1.scroll_id });
    const page3 = await session.ok<JsonRecord>('events.get_task_events', { task, batch_size: 2, scroll_id: page2.scroll_id });
    expect([...page1.events, ...page2.events].map((e: JsonRecord) => e.timestamp)).toEqual([...[...page1.events, ...page2.events].map((e: JsonRecord) => e.timestamp)].sort());
    expect(page3.events).toEqual([]);
    const scalars = await session.ok<JsonRecord>('events.get_task_events', { task, event_type: 'training_stats_scalar', order: 'desc' });
    expect(scalars.events.map((e: JsonRecord) => e.iter)).toEqual([2, 1]);
    const filtered = await session.ok<JsonRecord>('events.get_task_events', { task, metrics: [{ metric: 'p' }] });
    expect(filtered.events.map((e: JsonRecord) => e.type)).toEqual(['plot']);
  });
});
