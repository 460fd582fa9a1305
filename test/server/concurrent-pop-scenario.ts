// The contended-queue scenario, run small in the fast suite and at full size (50 callers,
// 1,000 tasks) in the slow one.
import { expect } from 'vitest';
import type { Session } from './api-call.js';

async function inBatches<T>(count: number, batchSize: number, make: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => make(start + i));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

/** Fills a queue with `taskCount` tasks, drains it with `callerCount` concurrent callers, checks each task went out once. */
export async function drainQueueConcurrently(session: Session, queueName: string, taskCount: number, callerCount: number): Promise<void> {
  const queue = (await session.ok<{ id: string }>('queues.create', { name: queueName })).id;
  const tasks = await inBatches(taskCount, 50, async (i) => {
    const { id } = await session.ok<{ id: string }>('tasks.create', { name: `contended ${i}`, type: 'training' });
    await session.ok('tasks.enqueue', { task: id, queue });
    return id;
  });
  expect(await session.ok('queues.get_num_entries', { queue })).toEqual({ num: taskCount });

  const handed: string[] = [];
  const caller = async (index: number) => {
    // half the callers long-poll, half poll plainly, as old and new agents would
    const body = index % 2 === 0 ? { queue, wait_ms: 50 } : { queue };
    for (;;) {
      const data = await session.ok<{ entry?: { task: string } }>('queues.get_next_task', body);
      if (!data.entry) return;
      handed.push(data.entry.task);
    }
  };
  await Promise.all(Array.from({ length: callerCount }, (_, i) => caller(i)));

  expect(handed).toHaveLength(taskCount);
  expect(new Set(handed).size).toBe(taskCount);
  expect([...handed].sort()).toEqual([...tasks].sort());
  expect(await session.ok('queues.get_num_entries', { queue })).toEqual({ num: 0 });
}
