import { describe, expect, it } from 'vitest';
import { createTask, defaultQueueId, getTask, useServerSession, type Session, type JsonRecord } from './api-call.js';

let clock = Date.parse('2025-06-01T00:00:00Z');
let session: Session;

useServerSession((bed) => ({ session } = bed), { now: () => clock });

// §3.2, written out independently of the server's own table.
const allowed: Record<string, string[]> = {
  created: ['queued', 'in_progress'],
  queued: ['created', 'in_progress', 'stopped'],
  in_progress: ['stopped', 'failed', 'created', 'completed'],
  stopped: ['closed', 'created', 'failed', 'queued', 'in_progress', 'published', 'publishing', 'completed'],
  closed: ['created', 'failed', 'published', 'publishing', 'stopped'],
  failed: ['created', 'stopped', 'published', 'queued'],
  completed: ['published', 'in_progress', 'created'],
  publishing: ['published'],
  published: [],
};
const endpointFor: Record<string, string> = {
  queued: 'tasks.enqueue',
  in_progress: 'tasks.started',
  stopped: 'tasks.stopped',
  completed: 'tasks.completed',
  failed: 'tasks.failed',
  closed: 'tasks.close',
};

async function taskIn(status: string): Promise<string> {
  const id = await createTask(session);
  await session.ok('tasks.update', { task: id, status });
  return id;
}

describe('status machine', () => {
  const cases = Object.keys(allowed).flatMap((from) => Object.keys(endpointFor).map((to) => [from, to] as const));

  it.each(cases)('%s → %s follows the table without force, always goes with force', async (from, to) => {
    const endpoint = endpointFor[to] as string;
    const plain = await session.call(endpoint, { task: await taskIn(from) });
    if (from === to || allowed[from]?.includes(to)) {
      expect(plain.status, plain.envelope.meta.result_msg).toBe(200);
    } else {
      expect([plain.status, plain.envelope.meta.result_subcode]).toEqual([400, 110]);
    }
    const forcedTask = await taskIn(from);
    const forced = await session.call(endpoint, { task: forcedTask, force: true });
    expect(forced.status, forced.envelope.meta.result_msg).toBe(200);
    expect((await getTask(session, forcedTask)).status).toBe(to);
  });
});

describe('status calls', () => {
  it('started stamps started once, reports fields, and accepts repeats (agents send it several times)', async () => {
    const id = await createTask(session);
    const first = await session.ok<JsonRecord>('tasks.started', { task: id, status_reason: 'pulled', status_message: 'pulled by agent', force: true });
    expect(first).toMatchObject({ updated: 1, started: 1, fields: { status: 'in_progress', status_reason: 'pulled', status_message: 'pulled by agent' } });
    clock += 1000;
    const again = await session.ok<JsonRecord>('tasks.started', { task: id, force: true });
    expect(again.started).toBe(0);
    const task = await getTask(session, id);
    expect(task.started).toBe(first.fields.started);
    expect(task.status_changed).toBe(again.fields.status_changed);
    expect(task.last_changed_by).toBe(first.fields.last_changed_by);
  });

  it('completed with publish ends published; stopped and completed stamp completed', async () => {
    const id = await createTask(session);
    await session.ok('tasks.started', { task: id });
    const data = await session.ok<JsonRecord>('tasks.completed', { task: id, publish: true });
    expect(data.published).toBe(1);
    const task = await getTask(session, id);
    expect(task.status).toBe('published');
    expect(task.completed).toBeTruthy();
  });

  it('enqueue: created → queued with execution.queue; to the default queue without one; queue_name auto-creates', async () => {
    const id = await createTask(session, { system_tags: ['development'] });
    const data = await session.ok<JsonRecord>('tasks.enqueue', { task: id });
    const queue = await defaultQueueId(session);
    expect(data).toMatchObject({ queued: 1, updated: 1, fields: { status: 'queued', 'execution.queue': queue } });
    const task = await getTask(session, id);
    expect(task.system_tags).toEqual([]);
    expect(task.execution.queue).toBe(queue);
    // re-enqueue into another queue moves it
    const moved = await session.ok<JsonRecord>('tasks.enqueue', { task: id, queue_name: 'auto-made', verify_watched_queue: true });
    expect(moved.queue_watched).toBe(false);
    const autoQueue = (await session.ok<{ queues: Array<{ id: string; entries: Array<{ task: string }> }> }>('queues.get_all', { name: '^auto-made$' })).queues[0];
    expect(autoQueue?.entries.map((e) => e.task)).toEqual([id]);
    const defaultEntries = (await session.ok<{ queue: { entries: Array<{ task: string }> } }>('queues.get_by_id', { queue })).queue.entries;
    expect(defaultEntries.map((e) => e.task)).not.toContain(id);
    const again = await session.call('tasks.enqueue', { task: id, queue: autoQueue?.id });
    expect([again.status, again.envelope.meta.result_subcode]).toEqual([400, 706]);
    const unknown = await session.call('tasks.enqueue', { task: id, queue: 'f'.repeat(32) });
    expect([unknown.status, unknown.envelope.meta.result_subcode]).toEqual([400, 701]);
    const completed = await createTask(session);
    await session.ok('tasks.completed', { task: completed, force: true });
    const refused = await session.call('tasks.enqueue', { task: completed });
    expect([refused.status, refused.envelope.meta.result_subcode]).toEqual([400, 110]);
  });

  it('dequeue restores the pre-enqueue status, or new_status; unknown tasks answer updated:0', async () => {
    const failed = await createTask(session);
    await session.ok('tasks.failed', { task: failed, force: true });
    await session.ok('tasks.enqueue', { task: failed });
    const data = await session.ok<JsonRecord>('tasks.dequeue', { task: failed });
    expect(data).toMatchObject({ dequeued: 1, updated: 1, fields: { status: 'failed' } });
    expect((await getTask(session, failed)).execution.queue).toBeUndefined();
    const id = await createTask(session);
    await session.ok('tasks.enqueue', { task: id });
    const toRunning = await session.ok<JsonRecord>('tasks.dequeue', { task: id, new_status: 'in_progress' });
    expect(toRunning).toMatchObject({ dequeued: 1, updated: 1, fields: { status: 'in_progress' } });
    expect(await session.ok('tasks.dequeue', { task: 'f'.repeat(32) })).toEqual({ dequeued: 1, updated: 0 });
    const created = await createTask(session);
    expect(await session.ok('tasks.dequeue', { task: created })).toEqual({ dequeued: 0, updated: 0 });
  });

  it('stop: queued → dequeued and stopped; running with a live worker → "stopping"; otherwise stopped at once', async () => {
    const queued = await createTask(session);
    await session.ok('tasks.enqueue', { task: queued });
    const stoppedQueued = await session.ok<JsonRecord>('tasks.stop', { task: queued });
    expect(stoppedQueued.fields).toMatchObject({ status: 'stopped', status_message: 'Stopped by Tray Agent' });
    const queue = await defaultQueueId(session);
    const entries = (await session.ok<{ queue: { entries: Array<{ task: string }> } }>('queues.get_by_id', { queue })).queue.entries;
    expect(entries.map((e) => e.task)).not.toContain(queued);

    const running = await createTask(session);
    await session.ok('tasks.started', { task: running, force: true });
    await session.ok('workers.status_report', { worker: 'host:0', timestamp: clock, task: running });
    const cooperative = await session.ok<JsonRecord>('tasks.stop', { task: running, status_reason: 'user abort' });
    expect(cooperative.fields).toMatchObject({ status: 'in_progress', status_message: 'stopping', status_reason: 'user abort' });
    expect((await getTask(session, running)).status).toBe('in_progress');
    // the agent then reports the stop
    await session.ok('tasks.stopped', { task: running, status_reason: 'task was stopped by tasks.stop' });
    expect((await getTask(session, running)).status).toBe('stopped');

    // no report for longer than the 600 s window → immediate
    const stale = await createTask(session);
    await session.ok('tasks.started', { task: stale, force: true });
    await session.ok('workers.status_report', { worker: 'host:0', timestamp: clock, task: stale });
    clock += 601_000;
    const immediate = await session.ok<JsonRecord>('tasks.stop', { task: stale });
    expect(immediate.fields.status).toBe('stopped');

    // never reported by a worker, or a local development run → immediate
    const local = await createTask(session, { system_tags: ['development'] });
    await session.ok('tasks.started', { task: local, force: true });
    await session.ok('workers.status_report', { worker: 'host:0', timestamp: clock, task: local });
    expect((await session.ok<JsonRecord>('tasks.stop', { task: local })).fields.status).toBe('stopped');

    const created = await createTask(session);
    const illegal = await session.call('tasks.stop', { task: created });
    expect([illegal.status, illegal.envelope.meta.result_subcode]).toEqual([400, 110]);
  });

  it('stop_many reports succeeded and failed items', async () => {
    const queued = await createTask(session);
    await session.ok('tasks.enqueue', { task: queued });
    const created = await createTask(session);
    const data = await session.ok<JsonRecord>('tasks.stop_many', { ids: [queued, created, 'f'.repeat(32)] });
    expect(data.succeeded.map((item: { id: string }) => item.id)).toEqual([queued]);
    expect(data.failed).toEqual([
      { id: created, error: { codes: [400, 110], msg: expect.any(String), data: {} } },
      { id: 'f'.repeat(32), error: { codes: [400, 101], msg: expect.any(String), data: {} } },
    ]);
  });

  it('reset: back to created, dequeued, runtime/outputs/events cleared; published needs force', async () => {
    const id = await createTask(session, { script: { repository: 'r', entry_point: 'a.py' }, runtime: { x: 1 } });
    await session.ok('tasks.enqueue', { task: id });
    await session.ok('events.add', { type: 'log', task: id, msg: 'hello' });
    await session.ok('workers.status_report', { worker: 'host:1', timestamp: clock, task: id });
    const data = await session.ok<JsonRecord>('tasks.reset', { task: id });
    expect(data).toMatchObject({ updated: 1, dequeued: { removed: 1 }, fields: { status: 'created' } });
    const task = await getTask(session, id);
    expect(task.status).toBe('created');
    expect(task.runtime).toEqual({});
    expect(task.last_metrics).toEqual({});
    expect(task.last_iteration).toBe(0);
    expect(task.last_worker).toBeUndefined();
    expect(task.execution.queue).toBeUndefined();
    expect(task.script).toEqual({ binary: 'python', repository: 'r', entry_point: 'a.py' });
    expect((await session.ok<JsonRecord>('events.get_task_log', { task: id })).total).toBe(0);
    await session.ok('tasks.reset', { task: id, clear_all: true });
    expect((await getTask(session, id)).script).toEqual({ binary: 'python', repository: '', entry_point: '' });
    await session.ok('tasks.completed', { task: id, force: true, publish: true });
    const refused = await session.call('tasks.reset', { task: id });
    expect([refused.status, refused.envelope.meta.result_subcode]).toEqual([400, 110]);
    expect((await session.ok<JsonRecord>('tasks.reset', { task: id, force: true })).fields.status).toBe('created');
  });
});
