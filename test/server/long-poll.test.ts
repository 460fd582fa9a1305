import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { createTask, login, useServerSession, type Session, type JsonRecord } from './api-call.js';

let server: TestServer;
let session: Session;

useServerSession((bed) => ({ server, session } = bed), { longPollMaxMs: 600 });

async function newQueue(name: string): Promise<string> {
  return (await session.ok<{ id: string }>('queues.create', { name })).id;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A long-poll get_next_task on its own raw TCP connection, parked on the server when this resolves. */
async function rawLongPoll(queue: string, waitMs: number): Promise<Socket> {
  const url = new URL(server.url);
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
  const body = JSON.stringify({ queue, wait_ms: waitMs });
  socket.write(
    `POST /queues.get_next_task HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${session.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 150));
  return socket;
}

/** Reads one HTTP answer (with Content-Length) from a raw socket and parses its JSON body. */
function readAnswer(socket: Socket): Promise<JsonRecord> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const split = buffer.indexOf('\r\n\r\n');
      if (split < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, split))?.[1] ?? 0);
      if (buffer.length - split - 4 >= length) resolve(JSON.parse(buffer.slice(split + 4, split + 4 + length)) as JsonRecord);
    });
    socket.once('error', reject);
  });
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

  it('a caller that hangs up as its task is handed out (answer unread): the task goes back to the head of its queue', async () => {
    const queue = await newQueue('lp-unread');
    const first = await createTask(session);
    const second = await createTask(session);
    const socket = await rawLongPoll(queue, 600);
    // The caller stops reading: the answer sits unread in its socket when it closes.
    socket.pause();
    await session.ok('queues.add_task', { queue, task: first });
    await session.ok('queues.add_task', { queue, task: second });
    await waitUntil(async () => (await session.ok<{ num: number }>('queues.get_num_entries', { queue })).num === 1);
    socket.destroy();
    // After the server's confirmation delay the task is back, ahead of the one queued after it.
    await waitUntil(async () => (await session.ok<{ task: string | null }>('queues.peek_task', { queue })).task === first, 5000);
    expect((await session.ok<JsonRecord>('queues.get_next_task', { queue })).entry.task).toBe(first);
    expect((await session.ok<JsonRecord>('queues.get_next_task', { queue })).entry.task).toBe(second);
  });

  it('a caller that got its task and started it keeps it, even if it closes the connection right away', async () => {
    const queue = await newQueue('lp-started');
    const task = await createTask(session);
    await session.ok('queues.add_task', { queue, task });
    const socket = await rawLongPoll(queue, 600);
    const answer = await readAnswer(socket);
    expect(answer.data.entry.task).toBe(task);
    await session.ok('tasks.started', { task, force: true });
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 2600));
    expect((await session.ok<{ num: number }>('queues.get_num_entries', { queue })).num).toBe(0);
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
