import { z } from 'zod';
import { endpointVersions } from '../endpoint-versions.js';
import { queueSchema, readData, updateResultSchema, type Queue, type UpdateResult } from '../models.js';
import type { ApiSession } from '../session.js';

export interface QueuesQuery {
  id?: string[];
  /** A regex searched anywhere in the name (server semantics); see resolveQueueId for exact names. */
  name?: string;
  tags?: string[];
  systemTags?: string[];
  onlyFields?: string[];
  searchHidden?: boolean;
  extra?: Record<string, unknown>;
}

/** What queues.get_next_task popped: the task id, and its owner when `getTaskInfo` was asked. */
export interface QueueEntry {
  task: string;
  added: string | number | null;
  taskInfo: { company: string | null; user: string | null } | null;
}

const nextTaskResult = z.looseObject({
  entry: z.looseObject({ task: z.string(), added: z.union([z.string(), z.number()]).nullish() }).nullish(),
  task_info: z.looseObject({ company: z.string().nullish(), user: z.string().nullish() }).nullish(),
});
const count = z.number().nullish().transform((v) => v ?? 0);

export function createQueuesService(session: ApiSession) {
  const v = endpointVersions;
  return {
    async getAll(query: QueuesQuery = {}): Promise<Queue[]> {
      const body = {
        id: query.id,
        name: query.name,
        tags: query.tags,
        system_tags: query.systemTags,
        only_fields: query.onlyFields,
        search_hidden: query.searchHidden,
        ...query.extra,
      };
      const data = await session.call('queues.get_all', body, { version: v['queues.get_all'] });
      return readData(z.looseObject({ queues: z.array(queueSchema).nullish().transform((q) => q ?? []) }), data, 'queues.get_all').queues;
    },
    async getById(queueId: string): Promise<Queue> {
      const data = await session.call('queues.get_by_id', { queue: queueId }, { version: v['queues.get_by_id'] });
      return readData(z.looseObject({ queue: queueSchema }), data, 'queues.get_by_id').queue;
    },
    /** The queue tagged `default`; ApiError 400/707 when there is none, 400/708 when several. */
    async getDefault(): Promise<{ id: string; name: string }> {
      const data = await session.call('queues.get_default', {}, { version: v['queues.get_default'] });
      return readData(z.looseObject({ id: z.string(), name: z.string() }), data, 'queues.get_default');
    },
    async create(request: { name: string; tags?: string[]; systemTags?: string[] }): Promise<{ id: string }> {
      const data = await session.call('queues.create', { name: request.name, tags: request.tags, system_tags: request.systemTags }, { version: v['queues.create'] });
      return readData(z.looseObject({ id: z.string() }), data, 'queues.create');
    },
    /** The way to set queue tags such as `force_workers:on/off`. */
    async update(request: { queue: string; name?: string; tags?: string[]; systemTags?: string[] }): Promise<UpdateResult> {
      const body = { queue: request.queue, name: request.name, tags: request.tags, system_tags: request.systemTags };
      return readData(updateResultSchema, await session.call('queues.update', body, { version: v['queues.update'] }), 'queues.update');
    },
    /**
     * Pops the head of the queue, or null when it is empty. `waitMs` asks our embedded server to
     * hold the request until an entry arrives (long-poll); it is sent only when the server
     * advertised the capability, capped to what it allows, and the request timeout grows by it.
     */
    async getNextTask(request: { queue: string; waitMs?: number; getTaskInfo?: boolean; signal?: AbortSignal }): Promise<QueueEntry | null> {
      await session.ensureAuthenticated();
      const longPollMaxMs = session.capabilities().longPollMaxMs;
      const waitMs = request.waitMs && request.waitMs > 0 && longPollMaxMs !== null ? Math.min(Math.round(request.waitMs), longPollMaxMs) : 0;
      const body = { queue: request.queue, get_task_info: request.getTaskInfo, wait_ms: waitMs > 0 ? waitMs : undefined };
      const data = await session.call('queues.get_next_task', body, {
        version: v['queues.get_next_task'],
        signal: request.signal,
        timeoutMs: waitMs > 0 ? session.requestTimeoutMs + waitMs : undefined,
      });
      const result = readData(nextTaskResult, data, 'queues.get_next_task');
      if (!result.entry) return null;
      const info = result.task_info;
      return {
        task: result.entry.task,
        added: result.entry.added ?? null,
        taskInfo: info ? { company: info.company ?? null, user: info.user ?? null } : null,
      };
    },
    /** Appends the task without changing its status (tasks.enqueue is what users want). */
    async addTask(request: { queue: string; task: string }): Promise<{ added: number }> {
      const data = await session.call('queues.add_task', { queue: request.queue, task: request.task }, { version: v['queues.add_task'] });
      return { added: readData(count, data['added'], 'queues.add_task') };
    },
    async removeTask(request: { queue: string; task: string }): Promise<{ removed: number }> {
      const data = await session.call('queues.remove_task', { queue: request.queue, task: request.task }, { version: v['queues.remove_task'] });
      return { removed: readData(count, data['removed'], 'queues.remove_task') };
    },
    /** The head entry's task id without popping it; null when empty. */
    async peekTask(queueId: string): Promise<string | null> {
      const data = await session.call('queues.peek_task', { queue: queueId }, { version: v['queues.peek_task'] });
      return readData(z.string().nullish(), data['task'], 'queues.peek_task') ?? null;
    },
    async getNumEntries(queueId: string): Promise<number> {
      const data = await session.call('queues.get_num_entries', { queue: queueId }, { version: v['queues.get_num_entries'] });
      return readData(count, data['num'], 'queues.get_num_entries');
    },
  };
}

export type QueuesService = ReturnType<typeof createQueuesService>;
