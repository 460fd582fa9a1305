import { describe, expect, it } from 'vitest';
import { createTask, useServerSession, type Session, type JsonRecord } from './api-call.js';

// Our extension of queues.get_next_task: `queues` (several, in priority order) and `worker`,
// advertised in the token's tray_agent claim. Real ClearML clients never send these fields.
let session: Session;

useServerSession((bed) => ({ session } = bed), { longPollMaxMs: 2_000 });

async function newQueue(name: string): Promise<string> {
  return (await session.ok<{ id: string }>('queues.create', { name })).id;
}

describe('queues.get_next_task over several queues', () => {
  it('is advertised in the token', async () => {
    const token = (await session.ok<{ token: string }>('auth.login', {})).token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as JsonRecord;
    expect(claims.tray_agent).toMatchObject({ multi_queue_next_task: true });
  });

  it('pops from the first non-empty queue in the given order and says which', async () => {
    const high = await newQueue('mq-high');
    const low = await newQueue('mq-low');
    const lowTask = await createTask(session);
    const highTask = await createTask(session);
    await session.ok('tasks.enqueue', { task: lowTask, queue: low });
    await session.ok('tasks.enqueue', { task: highTask, queue: high });
    const first = await session.ok<JsonRecord>('queues.get_next_task', { queue: high, queues: [high, low] });
    expect(first).toMatchObject({ entry: { task: highTask }, queue: high });
    const second = await session.ok<JsonRecord>('queues.get_next_task', { queue: high, queues: [high, low] });
    expect(second).toMatchObject({ entry: { task: lowTask }, queue: low });
    expect(await session.ok('queues.get_next_task', { queue: high, queues: [high, low] })).toEqual({});
  });

  it('long-polls all the queues at once and wakes on an entry in any of them', async () => {
    const a = await newQueue('mq-wait-a');
    const b = await newQueue('mq-wait-b');
    const task = await createTask(session);
    const waiting = session.ok<JsonRecord>('queues.get_next_task', { queue: a, queues: [a, b], wait_ms: 2_000 });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await session.ok('tasks.enqueue', { task, queue: b });
    expect(await waiting).toMatchObject({ entry: { task }, queue: b });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('wakes a waiting daemon early when a queue it waits on gets new tags', async () => {
    const q = await newQueue('mq-tags');
    const started = Date.now();
    const waiting = session.ok<JsonRecord>('queues.get_next_task', { queue: q, queues: [q], wait_ms: 2_000 });
    await new Promise((r) => setTimeout(r, 100));
    await session.ok('queues.update', { queue: q, tags: ['force_workers:off'] });
    expect(await waiting).toEqual({});
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('wakes a waiting worker early when its runtime properties change', async () => {
    const q = await newQueue('mq-force');
    const started = Date.now();
    const waiting = session.ok<JsonRecord>('queues.get_next_task', { queue: q, queues: [q], worker: 'box:0', wait_ms: 2_000 });
    await new Promise((r) => setTimeout(r, 100));
    await session.ok('workers.set_runtime_properties', { worker: 'box:0', runtime_properties: [{ key: 'force', value: 'off' }] });
    expect(await waiting).toEqual({});
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects an unknown queue in the list with the usual error', async () => {
    const q = await newQueue('mq-known');
    const result = await session.call('queues.get_next_task', { queue: q, queues: [q, 'f'.repeat(32)] });
    expect(result.status).toBe(400);
    expect(result.envelope.meta.result_subcode).toBe(701);
  });
});
