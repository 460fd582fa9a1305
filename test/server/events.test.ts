import { describe, expect, it } from 'vitest';
import { createTask, getTask, useServerSession, type Session, type JsonRecord } from './api-call.js';

let session: Session;

useServerSession((bed) => ({ session } = bed));

const jsonLines = (events: unknown[]) => events.map((event) => JSON.stringify(event)).join('\n');
const batch = (events: unknown[], headers: Record<string, string> = {}) =>
  session.call('events.add_batch', undefined, { rawBody: jsonLines(events), headers: { 'content-type': 'application/json-lines', ...headers } });

type LogResult = { events: Array<JsonRecord>; returned: number; total: number };

describe('events', () => {
  it('add_batch stores log events as the agent sends them and fills defaults', async () => {
    const task = await createTask(session);
    const result = await batch(
      [
        { type: 'log', level: 'INFO', task, worker: 'host:0', msg: 'first\n', timestamp: 1000 },
        { type: 'log', level: 'debug', task, msg: 'second\n', ts: 1001 },
      ],
      { 'X-ClearML-Worker': 'header-worker' },
    );
    expect(result.status).toBe(200);
    expect(result.envelope.data).toEqual({ added: 2, errors: 0, errors_info: {} });
    const log = await session.ok<LogResult>('events.get_task_log', { task, navigate_earlier: false });
    expect(log.total).toBe(2);
    expect(log.events.map((event) => [event.msg, event.level, event.worker, event.timestamp])).toEqual([
      ['first\n', 'INFO', 'host:0', 1000],
      ['second\n', 'debug', 'header-worker', 1001],
    ]);
    expect(log.events[0]).toMatchObject({ type: 'log', task, metric: '', variant: '' });
    expect(log.events[1]?.seq).toBeGreaterThan(log.events[0]?.seq);
  });

  it('counts bad events as errors and stores the rest; nothing stored → 400/131; empty → 400/17', async () => {
    const task = await createTask(session);
    const published = await createTask(session);
    await session.ok('tasks.completed', { task: published, force: true, publish: true });
    const mixed = await batch([
      { type: 'log', task, msg: 'ok' },
      { task, msg: 'no type' },
      { type: 'log', msg: 'no task' },
      { type: 'log', task: 'f'.repeat(32), msg: 'unknown task' },
      { type: 'log', task: published, msg: 'locked' },
      { type: 'bogus', task, msg: 'bad type' },
      { type: 'training stats scalar', task, metric: 'loss', variant: 'total', value: 0.5, iter: 3 },
      [1, 2],
    ]);
    expect(mixed.status).toBe(200);
    expect(mixed.envelope.data).toMatchObject({ added: 2, errors: 6 });
    expect(Object.values(mixed.envelope.data.errors_info as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(6);
    const stored = await getTask(session, task);
    expect(stored.last_iteration).toBe(3);
    const variants = Object.values(stored.last_metrics as Record<string, Record<string, unknown>>).flatMap((v) => Object.values(v));
    expect(variants).toEqual([{ metric: 'loss', variant: 'total', value: 0.5, min_value: 0.5, max_value: 0.5 }]);
    const none = await batch([{ type: 'log', task: 'f'.repeat(32), msg: 'x' }]);
    expect([none.status, none.envelope.meta.result_subcode]).toEqual([400, 131]);
    expect(none.envelope.meta.result_msg).toContain('invalid task id');
    const empty = await session.call('events.add_batch', undefined, { rawBody: '\n\n', headers: { 'content-type': 'application/json-lines' } });
    expect([empty.status, empty.envelope.meta.result_subcode]).toEqual([400, 17]);
    const broken = await session.call('events.add_batch', undefined, { rawBody: '{"type":"log"}\n{broken', headers: { 'content-type': 'application/json-lines' } });
    expect([broken.status, broken.envelope.meta.result_subcode]).toEqual([400, 18]);
  });

  it('a json-lines body is recognised only by the exact content type', async () => {
    const task = await createTask(session);
    const withCharset = await session.call('events.add_batch', undefined, {
      rawBody: jsonLines([{ type: 'log', task, msg: 'a' }, { type: 'log', task, msg: 'b' }]),
      headers: { 'content-type': 'application/json-lines; charset=utf-8' },
    });
    expect([withCharset.status, withCharset.envelope.meta.result_subcode]).toEqual([400, 0]);
    const single = await session.call('events.add_batch', { type: 'log', task, msg: 'one event as plain JSON' });
    expect(single.envelope.data).toMatchObject({ added: 1 });
  });

  it('events bump the task last_update', async () => {
    const task = await createTask(session);
    const before = (await getTask(session, task)).last_update;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await session.ok('events.add', { type: 'log', task, msg: 'x' });
    expect((await getTask(session, task)).last_update).not.toBe(before);
  });

  it('get_task_log navigates like ClearML and follows by seq', async () => {
    const task = await createTask(session);
    const events = Array.from({ length: 10 }, (_, i) => ({ type: 'log', task, msg: `line ${i}`, timestamp: 5000 + i }));
    await batch(events);
    const messages = (result: LogResult) => result.events.map((event) => event.msg);
    // default: newest first
    const latest = await session.ok<LogResult>('events.get_task_log', { task, batch_size: 3 });
    expect(messages(latest)).toEqual(['line 9', 'line 8', 'line 7']);
    expect([latest.returned, latest.total]).toEqual([3, 10]);
    const latestAsc = await session.ok<LogResult>('events.get_task_log', { task, batch_size: 3, order: 'asc' });
    expect(messages(latestAsc)).toEqual(['line 7', 'line 8', 'line 9']);
    const earlier = await session.ok<LogResult>('events.get_task_log', { task, batch_size: 2, from_timestamp: 5007 });
    expect(messages(earlier)).toEqual(['line 6', 'line 5']);
    const forward = await session.ok<LogResult>('events.get_task_log', { task, batch_size: 2, navigate_earlier: false, from_timestamp: 5007 });
    expect(messages(forward)).toEqual(['line 8', 'line 9']);
    const head = await session.ok<LogResult>('events.get_task_log', { task, batch_size: 2, navigate_earlier: false });
    expect(messages(head)).toEqual(['line 0', 'line 1']);
    // our follow extension: ascending by seq after a given seq
    const all = await session.ok<LogResult>('events.get_task_log', { task, after_seq: 0, batch_size: 100 });
    expect(messages(all)).toEqual(events.map((event) => event.msg));
    const cursor = all.events[6]?.seq as number;
    const rest = await session.ok<LogResult>('events.get_task_log', { task, after_seq: cursor });
    expect(messages(rest)).toEqual(['line 7', 'line 8', 'line 9']);
    await batch([{ type: 'log', task, msg: 'late', timestamp: 1 }]);
    const follow = await session.ok<LogResult>('events.get_task_log', { task, after_seq: all.events.at(-1)?.seq });
    expect(messages(follow)).toEqual(['late']);
    const unknown = await session.call('events.get_task_log', { task: 'f'.repeat(32) });
    expect([unknown.status, unknown.envelope.meta.result_subcode]).toEqual([400, 101]);
  });
});
