import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { createTask, login, useServerSession, type Session, type JsonRecord } from './api-call.js';

let server: TestServer;
let session: Session;

useServerSession((bed) => ({ server, session } = bed), { longPollMaxMs: 600 });

async function newQueue(name: string): Promise<string> {
  return (await session.ok<{ id: string }>('queues.create', { name })).id;
}

describe('queues.get_next_task long-poll', () => {
  it('wakes a waiting caller as soon as a task is enqueued', async () => {
    const queue = await newQueue('lp-wake');
    const task = await createTask(session);
    const started = Date.now();
    const waiting = session.ok<JsonRecord>('queues.get_next_task', { queue, wait_ms: 600 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await session.ok('tasks.enqueue', { task, queue });
    const result = await waiting;
    const elapsed = Date.now() - started;
    expect(result.entry.task).toBe(task);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(550);
  });

  it('answers {} after wait_ms when nothing arrives, capped at long_poll_max_ms', async () => {
    const queue = await newQueue('lp-timeout');
    let started = Date.now();
    const result = await session.call('queues.get_next_task', { queue, wait_ms: 300 });
    expect(result.status).toBe(200);
    expect(result.envelope.data).toEqual({});
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    started = Date.now();
    await session.ok('queues.get_next_task', { queue, wait_ms: 60_000 });
    const capped = Date.now() - started;
    expect(capped).toBeGreaterThanOrEqual(590);
    expect(capped).toBeLessThan(2000);
  });

  it('hands each task to exactly one of many waiters, in arrival order', async () => {
    const queue = await newQueue('lp-many');
    const waiters = Array.from({ length: 8 }, () => session.ok<JsonRecord>('queues.get_next_task', { queue, wait_ms: 400 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const tasks = [await createTask(session), await createTask(session), await createTask(session)];
    for (const task of tasks) await session.ok('queues.add_task', { queue, task });
    const results = await Promise.all(waiters);
    const handed = results.filter((r) => r.entry).map((r) => r.entry.task as string);
    expect(handed.sort()).toEqual([...tasks].sort());
    expect(results.filter((r) => !r.entry)).toHaveLength(5);
  });

  it('does not give a task to a caller that hung up', async () => {
    const queue = await newQueue('lp-hangup');
    const abort = new AbortController();
    const gone = fetch(`${server.url}/queues.get_next_task`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ queue, wait_ms: 600 }),
      signal: abort.signal,
    }).catch(() => 'aborted');
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    expect(await gone).toBe('aborted');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const task = await createTask(session);
    await session.ok('queues.add_task', { queue, task });
    expect((await session.ok<JsonRecord>('queues.get_next_task', { queue })).entry.task).toBe(task);
  });

  it('closing the server releases waiters with an empty answer', async () => {
    const other = await startTestServer();
    const otherSession = await login(other);
    const queue = (await otherSession.ok<{ id: string }>('queues.get_default')).id;
    const started = Date.now();
    const waiting = otherSession.call('queues.get_next_task', { queue, wait_ms: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await other.close();
    const result = await waiting;
    expect(result.status).toBe(200);
    expect(result.envelope.data).toEqual({});
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
