import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/embedded-server.js';
import { createTask, useServerSession, type JsonRecord, type Session } from './api-call.js';

let clock = Date.parse('2025-09-01T10:00:00Z');
let server: TestServer;
let session: Session;

useServerSession((bed) => ({ server, session } = bed), { now: () => clock });

async function newQueue(name: string): Promise<string> {
  return (await session.ok<{ id: string }>('queues.create', { name })).id;
}

async function order(queue: string): Promise<string[]> {
  const data = await session.ok<{ queue: { entries: Array<{ task: string }> } }>('queues.get_by_id', { queue });
  return data.queue.entries.map((entry) => entry.task);
}

describe('queue metadata, reordering and metrics', () => {
  it('add_or_update_metadata merges by key (or replaces), delete_metadata drops keys', async () => {
    const queue = await newQueue('meta-queue');
    expect(await session.ok('queues.add_or_update_metadata', { queue, metadata: [{ key: 'gpu', type: 'str', value: 'h200' }, { key: 'team', value: 'vision' }] })).toEqual({ updated: 1 });
    await session.ok('queues.add_or_update_metadata', { queue, metadata: [{ key: 'team', value: 'nlp' }] });
    let metadata = (await session.ok<{ queue: JsonRecord }>('queues.get_by_id', { queue })).queue.metadata;
    expect(metadata).toEqual({ gpu: { key: 'gpu', type: 'str', value: 'h200' }, team: { key: 'team', value: 'nlp' } });
    expect(await session.ok('queues.delete_metadata', { queue, keys: ['gpu', 'absent'] })).toEqual({ updated: 1 });
    expect(await session.ok('queues.delete_metadata', { queue, keys: ['absent'] })).toEqual({ updated: 0 });
    await session.ok('queues.add_or_update_metadata', { queue, metadata: [{ key: 'only', value: '1' }], replace_metadata: true });
    metadata = (await session.ok<{ queue: JsonRecord }>('queues.get_by_id', { queue })).queue.metadata;
    expect(metadata).toEqual({ only: { key: 'only', value: '1' } });
    const missing = await session.call('queues.add_or_update_metadata', { queue: 'f'.repeat(32), metadata: [] });
    expect([missing.status, missing.envelope.meta.result_subcode]).toEqual([400, 701]);
  });

  it('move_task_forward / backward / to_front / to_back return the new position and the pop order follows', async () => {
    const queue = await newQueue('move-queue');
    const [a, b, c, d] = [await createTask(session), await createTask(session), await createTask(session), await createTask(session)];
    for (const task of [a, b, c, d]) await session.ok('queues.add_task', { queue, task });
    expect(await session.ok('queues.move_task_to_front', { queue, task: c })).toEqual({ position: 0 });
    expect(await order(queue)).toEqual([c, a, b, d]);
    expect(await session.ok('queues.move_task_backward', { queue, task: c, count: 2 })).toEqual({ position: 2 });
    expect(await order(queue)).toEqual([a, b, c, d]);
    expect(await session.ok('queues.move_task_forward', { queue, task: d })).toEqual({ position: 2 });
    expect(await order(queue)).toEqual([a, b, d, c]);
    expect(await session.ok('queues.move_task_forward', { queue, task: d, count: 10 })).toEqual({ position: 0 });
    expect(await session.ok('queues.move_task_to_back', { queue, task: d })).toEqual({ position: 3 });
    expect(await order(queue)).toEqual([a, b, c, d]);
    const notThere = await session.call('queues.move_task_to_front', { queue, task: 'f'.repeat(32) });
    expect([notThere.status, notThere.envelope.meta.result_subcode]).toEqual([400, 703]);
    const popped = [];
    for (let i = 0; i < 4; i++) popped.push((await session.ok<JsonRecord>('queues.get_next_task', { queue })).entry.task);
    expect(popped).toEqual([a, b, c, d]);
  });

  it('get_queue_metrics: queue length and average wait per interval, from the changes the queue saw', async () => {
    const queue = await newQueue('metrics-queue');
    const start = clock;
    const [a, b] = [await createTask(session), await createTask(session)];
    await session.ok('tasks.enqueue', { task: a, queue }); // t = 0: length 1
    clock += 30_000;
    await session.ok('tasks.enqueue', { task: b, queue }); // t = 30 s: length 2, a waited 30 s
    clock += 60_000;
    await session.ok('queues.get_next_task', { queue }); // t = 90 s: length 1 (b waited 60 s)
    clock += 60_000;
    const result = await session.ok<{ queues: JsonRecord[] }>('queues.get_queue_metrics', {
      from_date: start / 1000,
      to_date: start / 1000 + 180,
      interval: 60,
      queue_ids: [queue],
    });
    expect(result.queues).toEqual([
      {
        queue,
        dates: [start / 1000, start / 1000 + 60, start / 1000 + 120],
        // bucket 1: samples of length 1 (wait 0) and 2 (avg wait 15 s); bucket 2: length 1, b waited 60 s; bucket 3: unchanged
        queue_lengths: [1.5, 1, 1],
        avg_waiting_times: [7.5, 60, 60],
      },
    ]);
    const bad = await session.call('queues.get_queue_metrics', { from_date: 10, to_date: 5, interval: 60 });
    expect([bad.status, bad.envelope.meta.result_subcode]).toEqual([400, 12]);
    const missing = await session.call('queues.get_queue_metrics', { from_date: 10, to_date: 500 });
    expect(missing.envelope.meta.result_msg).toBe("validation error (error for field 'interval'. field is required!)");

    // the history is kept 30 days: a maintenance pass later drops the older changes
    clock += 31 * 24 * 3600 * 1000;
    server.server.runMaintenance();
    // (a month on, the session's token has expired: Basic auth)
    const later = await session.call<{ queues: JsonRecord[] }>(
      'queues.get_queue_metrics',
      { from_date: start / 1000, to_date: start / 1000 + 120, interval: 60, queue_ids: [queue] },
      { auth: session.basic },
    );
    expect(later.envelope.data.queues[0]?.queue_lengths).toEqual([0, 0]);
  });
});
