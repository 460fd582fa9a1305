// Reading a task's log from the server page by page, and following it while the task runs:
// used by `task logs --follow` and by the agent host's log view for tasks it did not run itself.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './index.js';
import { ApiError, finalTaskStatuses } from './index.js';
import type { TaskLogEvent } from './models.js';

export interface LogCursor {
  /** After this seq (embedded server's after_seq extension; seqs start at 1). */
  seq: number;
  /** Timestamp paging for other servers: the newest timestamp printed, and what was printed at it. */
  timestamp: number | null;
  printedAtTimestamp: Set<string>;
}

const logPageSize = 500;
const maxTimestampPageSize = 10_000;

function eventTimestamp(event: TaskLogEvent): number {
  return typeof event.timestamp === 'number' ? event.timestamp : Date.parse(String(event.timestamp ?? '')) || 0;
}

export function newLogCursor(): LogCursor {
  return { seq: 0, timestamp: null, printedAtTimestamp: new Set() };
}

/**
 * Reads every log event after the cursor (all pages), in order. Without after_seq, pages are
 * asked from 1 ms before the newest printed timestamp, so events sharing that timestamp across
 * a page boundary are not lost; the ones already printed are recognised and skipped.
 */
export async function readNewLogEvents(client: ApiClient, taskId: string, cursor: LogCursor, useSeq: boolean, pageSize = logPageSize): Promise<TaskLogEvent[]> {
  const collected: TaskLogEvent[] = [];
  let timestampPageSize = pageSize;
  for (;;) {
    if (useSeq) {
      const { events } = await client.events.getTaskLog({ task: taskId, batchSize: pageSize, afterSeq: cursor.seq });
      collected.push(...events);
      const last = events.at(-1);
      if (typeof last?.seq === 'number') cursor.seq = last.seq;
      if (events.length < pageSize) return collected;
      continue;
    }
    const { events } = await client.events.getTaskLog({
      task: taskId,
      batchSize: timestampPageSize,
      navigateEarlier: false,
      fromTimestamp: cursor.timestamp === null ? undefined : cursor.timestamp - 1,
      order: 'asc',
    });
    const sorted = [...events].sort((a, b) => eventTimestamp(a) - eventTimestamp(b));
    let fresh = 0;
    for (const event of sorted) {
      const timestamp = eventTimestamp(event);
      const key = `${timestamp}\u0000${event.msg ?? ''}`;
      if (cursor.timestamp !== null && (timestamp < cursor.timestamp || (timestamp === cursor.timestamp && cursor.printedAtTimestamp.has(key)))) continue;
      if (timestamp !== cursor.timestamp) {
        cursor.timestamp = timestamp;
        cursor.printedAtTimestamp = new Set();
      }
      cursor.printedAtTimestamp.add(key);
      collected.push(event);
      fresh += 1;
    }
    if (events.length < timestampPageSize) return collected;
    // A full page with nothing new: more events share one timestamp than fit in a page.
    if (fresh === 0) {
      if (timestampPageSize >= maxTimestampPageSize) return collected;
      timestampPageSize = Math.min(timestampPageSize * 2, maxTimestampPageSize);
    }
  }
}


/**
 * Reads the log from the start and, with `follow`, keeps reading until the task reaches a final
 * status (then reads once more, so nothing written at the end is missed) or `signal` aborts.
 */
export async function followTaskLog(
  client: ApiClient,
  taskId: string,
  options: { follow: boolean; intervalMs: number; onEvents: (events: readonly TaskLogEvent[]) => void; signal?: AbortSignal },
): Promise<{ finalStatus: string | null }> {
  await client.tasks.getById(taskId); // a clear "not found" before reading logs
  const useSeq = client.capabilities().trayAgentExtensions;
  const cursor = newLogCursor();
  for (;;) {
    options.onEvents(await readNewLogEvents(client, taskId, cursor, useSeq));
    if (!options.follow || options.signal?.aborted) return { finalStatus: null };
    const [task] = await client.tasks.getAll({ id: [taskId], onlyFields: ['id', 'status'], searchHidden: true });
    if (!task) throw new ApiError({ kind: 'http', httpCode: 400, resultCode: 400, resultSubcode: 101, endpoint: 'tasks.get_all', message: `task ${taskId} is gone (deleted while following its log)` });
    if (task.status && finalTaskStatuses.has(task.status)) {
      options.onEvents(await readNewLogEvents(client, taskId, cursor, useSeq));
      return { finalStatus: task.status };
    }
    try {
      await sleep(options.intervalMs, undefined, { signal: options.signal });
    } catch {
      return { finalStatus: null };
    }
  }
}
