import { z } from 'zod';
import { endpointVersions } from '../endpoint-versions.js';
import { packJsonLines, splitLongLogMessages, type ClearmlEvent } from '../event-batching.js';
import { logEventSchema, readData, type TaskLogEvent } from '../models.js';
import type { ApiSession } from '../session.js';

export interface AddBatchResult {
  added: number;
  errors: number;
  /** How many HTTP requests the batch took (1 MiB each at most). */
  requests: number;
}

export interface TaskLogQuery {
  task: string;
  batchSize?: number;
  /** true (server default): events before `fromTimestamp`, newest first. */
  navigateEarlier?: boolean;
  fromTimestamp?: number;
  order?: 'asc' | 'desc';
  /** Our embedded server's extension: events with seq > afterSeq, ascending. Needs trayAgentExtensions. */
  afterSeq?: number;
}

const addBatchResult = z.looseObject({
  added: z.number().nullish().transform((v) => v ?? 0),
  errors: z.number().nullish().transform((v) => v ?? 0),
});
const taskLogResult = z.looseObject({
  events: z.array(logEventSchema).nullish().transform((v) => v ?? []),
  returned: z.number().nullish(),
  total: z.number().nullish(),
});

export function createEventsService(session: ApiSession, now: () => number) {
  const v = endpointVersions;
  return {
    /**
     * Sends events as json-lines: log messages over 64 KiB are split (1 ms apart), requests cut
     * at 1 MiB and sent in order. A request the server rejects whole (400/131) throws, after
     * the earlier requests were stored.
     */
    async addBatch(events: readonly ClearmlEvent[]): Promise<AddBatchResult> {
      const result: AddBatchResult = { added: 0, errors: 0, requests: 0 };
      if (events.length === 0) return result;
      for (const text of packJsonLines(splitLongLogMessages(events, undefined, now))) {
        const data = await session.call('events.add_batch', {}, { version: v['events.add_batch'], rawBody: { text, contentType: 'application/json-lines' } });
        const counts = readData(addBatchResult, data, 'events.add_batch');
        result.added += counts.added;
        result.errors += counts.errors;
        result.requests += 1;
      }
      return result;
    },
    async getTaskLog(query: TaskLogQuery): Promise<{ events: TaskLogEvent[]; returned: number; total: number | null }> {
      if (query.afterSeq !== undefined) {
        await session.ensureAuthenticated();
        if (!session.capabilities().trayAgentExtensions) {
          throw new Error('events.get_task_log: after_seq is an extension of the embedded Tray Agent server; this server does not offer it');
        }
      }
      const body = {
        task: query.task,
        batch_size: query.batchSize,
        navigate_earlier: query.navigateEarlier,
        from_timestamp: query.fromTimestamp,
        order: query.order,
        after_seq: query.afterSeq,
      };
      const data = readData(taskLogResult, await session.call('events.get_task_log', body, { version: v['events.get_task_log'] }), 'events.get_task_log');
      return { events: data.events, returned: data.returned ?? data.events.length, total: data.total ?? null };
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
