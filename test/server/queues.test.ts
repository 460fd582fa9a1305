import { describe, expect, it } from 'vitest';
import { createTask, defaultQueueId, getTask, useServerSession, type Session, type JsonRecord } from './api-call.js';

let session: Session;

useServerSession((bed) => ({ session } = bed));

async function newQueue(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await session.ok<{ id: string }>('queues.create', { name, ...extra })).id;
}

async function expectError(endpoint: string, body: unknown, code: number, subcode: number): Promise<void> {
  const result = await session.call(endpoint, body);
  expect([result.status, result.envelope.meta.result_subcode], `${endpoint} ${JSON.stringify(body)}: ${result.envelope.meta.result_msg}`).toEqual([code, subcode]);
}

describe('queues', () => {
  it('a fresh server has a default queue named default with the default system tag', async () => {
    const data = await session.ok<{ id: string; name: string }>('queues.get_default');
    expect(data.name).toBe('default');
    const queue = (await session.ok<{ queue: JsonRecord }>('queues.get_by_id', { queue: data.id })).queue;
    expect(queue.system_tags).toEqual(['default']);
    expect(queue.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('create validates names (≥ 3 chars → 400/800, unique → 400/801) and stores tags/metadata', async () => {
    await expectError('queues.create', { name: 'ab' }, 400, 800);
    const id = await newQueue('  gpu-queue ', { tags: ['t1'], system_tags: ['s1'], metadata: [{ key: 'k', type: 'str', value: 'v' }] });
    await expectError('queues.create', { name: 'gpu-queue' }, 400, 801);
    const queue = (await session.ok<{ queue: JsonRecord }>('queues.get_by_id', { queue: id })).queue;
    expect(queue).toMatchObject({ name: 'gpu-queue', tags: ['t1'], system_tags: ['s1'], entries: [], metadata: { k: { key: 'k', type: 'str', value: 'v' } } });
    expect(queue.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  it('get_all filters by id, name regex, tags; projects only_fields; hides k8s-glue queues unless asked', async () => {
    const a = await newQueue('filter-alpha', { tags: ['force_workers:on'] });
    const b = await newQueue('filter-beta', { tags: ['other'] });
    const hidden = await newQueue('filter-glue', { system_tags: ['k8s-glue'] });
    const names = async (body: Record<string, unknown>) =>
      (await session.ok<{ queues: Array<{ name: string }> }>('queues.get_all', body)).queues.map((q) => q.name).sort();
    expect(await names({ name: 'filter-' })).toEqual(['filter-alpha', 'filter-beta', 'filter-glue']);
    expect(await names({ tags: ['-other'], id: [a, b] })).toEqual(['filter-alpha']);
    expect(await names({ tags: ['force_workers:on'] })).toEqual(['filter-alpha']);
    expect(await names({ system_tags: ['k8s-glue'] })).toEqual([]);
    expect(await names({ system_tags: ['k8s-glue'], search_hidden: true })).toEqual(['filter-glue']);
    expect(await names({ id: [hidden] })).toEqual(['filter-glue']);
    expect(await names({ name: 'FILTER-ALPHA' })).toEqual(['filter-alpha']);
    const projected = await session.ok<{ queues: Array<Record<string, unknown>> }>('queues.get_all', { id: [a], only_fields: ['tags'] });
    expect(projected.queues).toEqual([{ id: a, tags: ['force_workers:on'] }]);
    const ordered = await session.ok<{ queues: Array<{ name: string }> }>('queues.get_all', { name: '^filter-', order_by: ['-name'], page: 1, page_size: 1 });
    // a name filter also shows hidden queues: glue, beta, alpha → page 1 is beta
    expect(ordered.queues.map((q) => q.name)).toEqual(['filter-beta']);
    await expectError('queues.get_all', { name: '(' }, 400, 21);
  });

  it('update changes name/tags and reports the fields; unknown queue → 400/701', async () => {
    const id = await newQueue('update-me');
    const data = await session.ok<{ updated: number; fields: Record<string, unknown> }>('queues.update', { queue: id, name: 'updated-name', tags: ['force_workers:off'] });
    expect(data.updated).toBe(1);
    expect(data.fields).toMatchObject({ name: 'updated-name', tags: ['force_workers:off'] });
    await expectError('queues.update', { queue: 'f'.repeat(32), name: 'xyz' }, 400, 701);
    await expectError('queues.get_by_id', { queue: 'f'.repeat(32) }, 400, 701);
    await expectError('queues.get_next_task', { queue: 'f'.repeat(32) }, 400, 701);
  });

  it('add_task / peek_task / get_num_entries / get_next_task keep FIFO order and never change status', async () => {
    const queue = await newQueue('fifo-queue');
    const tasks = [await createTask(session), await createTask(session), await createTask(session)];
    for (const task of tasks) expect(await session.ok('queues.add_task', { queue, task })).toEqual({ added: 1 });
    await expectError('queues.add_task', { queue, task: tasks[0] }, 400, 706);
    expect(await session.ok('queues.peek_task', { queue })).toEqual({ task: tasks[0] });
    expect(await session.ok('queues.get_num_entries', { queue })).toEqual({ num: 3 });
    expect((await getTask(session, tasks[0] as string)).execution.queue).toBe(queue);
    const first = await session.ok<JsonRecord>('queues.get_next_task', { queue, get_task_info: true });
    expect(first.entry.task).toBe(tasks[0]);
    expect(first.entry.added).toMatch(/\+00:00$/);
    expect(first.task_info).toEqual({ company: expect.any(String), user: expect.any(String) });
    expect((await getTask(session, tasks[0] as string)).status).toBe('created');
    // 2.21 `task`: pop only when that task is at the head
    expect(await session.ok('queues.get_next_task', { queue, task: tasks[2] })).toEqual({});
    expect((await session.ok<JsonRecord>('queues.get_next_task', { queue, task: tasks[1] })).entry.task).toBe(tasks[1]);
    expect((await session.ok<JsonRecord>('queues.get_next_task', { queue })).entry.task).toBe(tasks[2]);
    const empty = await session.call('queues.get_next_task', { queue });
    expect(empty.status).toBe(200);
    expect(empty.envelope.data).toEqual({});
    expect(await session.ok('queues.peek_task', { queue })).toEqual({ task: null });
  });

  it('get_next_task puts a popped stopped task back to queued', async () => {
    const queue = await newQueue('stopped-pop');
    const task = await createTask(session);
    await session.ok('tasks.enqueue', { task, queue });
    await session.ok('tasks.stopped', { task, force: true });
    expect((await session.ok<JsonRecord>('queues.get_next_task', { queue })).entry.task).toBe(task);
    expect((await getTask(session, task)).status).toBe('queued');
  });

  it('remove_task: 400/703 when absent; update_task_status reverts the task', async () => {
    const queue = await newQueue('remove-queue');
    const task = await createTask(session);
    await expectError('queues.remove_task', { queue, task }, 400, 703);
    await session.ok('tasks.enqueue', { task, queue });
    expect(await session.ok('queues.remove_task', { queue, task, update_task_status: true })).toEqual({ removed: 1 });
    const stored = await getTask(session, task);
    expect(stored.status).toBe('created');
    expect(stored.execution.queue).toBeUndefined();
  });

  it('clear_queue empties the queue and reverts each task to its pre-enqueue status', async () => {
    const queue = await newQueue('clear-queue');
    const created = await createTask(session);
    const failed = await createTask(session);
    await session.ok('tasks.failed', { task: failed, force: true });
    await session.ok('tasks.enqueue', { task: created, queue });
    await session.ok('tasks.enqueue', { task: failed, queue });
    const data = await session.ok<{ removed_tasks: string[] }>('queues.clear_queue', { queue });
    expect(data.removed_tasks).toEqual([created, failed]);
    expect((await getTask(session, created)).status).toBe('created');
    expect((await getTask(session, failed)).status).toBe('failed');
    expect(await session.ok('queues.get_num_entries', { queue })).toEqual({ num: 0 });
  });

  it('delete refuses a non-empty queue without force (400/702) and reverts tasks with force', async () => {
    const queue = await newQueue('delete-queue');
    const task = await createTask(session);
    await session.ok('tasks.enqueue', { task, queue });
    await expectError('queues.delete', { queue }, 400, 702);
    expect(await session.ok('queues.delete', { queue, force: true })).toEqual({ deleted: 1 });
    expect((await getTask(session, task)).status).toBe('created');
    await expectError('queues.get_by_id', { queue }, 400, 701);
  });

  it('get_default: 400/708 with two default queues, 400/707 with none', async () => {
    const original = await defaultQueueId(session);
    const second = await newQueue('second-default', { system_tags: ['default'] });
    await expectError('queues.get_default', {}, 400, 708);
    await session.ok('queues.update', { queue: second, system_tags: [] });
    await session.ok('queues.update', { queue: original, system_tags: [] });
    await expectError('queues.get_default', {}, 400, 707);
    await session.ok('queues.update', { queue: original, system_tags: ['default'] });
    expect((await session.ok<{ id: string }>('queues.get_default')).id).toBe(original);
  });
});
