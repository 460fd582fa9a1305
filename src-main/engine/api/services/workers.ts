import { z } from 'zod';
import { endpointVersions } from '../endpoint-versions.js';
import { readData, workerSchema, type Worker } from '../models.js';
import type { ApiSession } from '../session.js';

/** workers.status_report machine_stats (reference §4.3): scalars in MB, MB/s and %, arrays per GPU. */
export interface MachineStats {
  cpu_usage?: number[];
  cpu_temperature?: number[];
  memory_used?: number;
  memory_free?: number;
  disk_free_home?: number;
  disk_read?: number;
  disk_write?: number;
  network_tx?: number;
  network_rx?: number;
  gpu_usage?: number[];
  gpu_memory_used?: number[];
  gpu_memory_free?: number[];
  gpu_temperature?: number[];
  [key: string]: number | number[] | undefined;
}

export interface StatusReport {
  worker: string;
  /** Epoch ms (what the agent sends, although the schema says seconds); default now. */
  timestamp?: number;
  /** The running task; absent clears the worker's task on the server. */
  task?: string;
  /** The queue the running task came from; absent clears it. */
  queue?: string;
  queues?: string[];
  machineStats?: MachineStats | null;
  tags?: string[];
}

export interface RuntimeProperty {
  key: string;
  value: string;
  /** Seconds left (EE servers); null = no expiry. */
  expiry?: number | null;
}

const runtimePropertiesResult = z.looseObject({
  runtime_properties: z
    .array(z.looseObject({ key: z.string(), value: z.union([z.string(), z.number(), z.boolean()]).nullish().transform((x) => (x == null ? '' : String(x))), expiry: z.number().nullish() }))
    .nullish()
    .transform((v) => v ?? []),
});

export function createWorkersService(session: ApiSession, now: () => number) {
  const v = endpointVersions;
  return {
    /** Registers for `timeoutSec` (server default 600 s); status reports keep it alive. */
    async register(request: { worker: string; queues?: string[]; timeoutSec?: number; tags?: string[] }): Promise<void> {
      await session.call('workers.register', { worker: request.worker, queues: request.queues, timeout: request.timeoutSec, tags: request.tags }, { version: v['workers.register'] });
    },
    async unregister(request: { worker: string }): Promise<void> {
      await session.call('workers.unregister', { worker: request.worker }, { version: v['workers.unregister'] });
    },
    async statusReport(report: StatusReport): Promise<void> {
      const body = {
        worker: report.worker,
        timestamp: report.timestamp ?? now(),
        task: report.task,
        queue: report.queue,
        queues: report.queues,
        machine_stats: report.machineStats ?? undefined,
        tags: report.tags,
      };
      await session.call('workers.status_report', body, { version: v['workers.status_report'] });
    },
    /** `lastSeenSec` 0 = every worker the server still holds (what `list` shows); default: server's (3600 s). */
    async getAll(request: { lastSeenSec?: number } = {}): Promise<Worker[]> {
      const data = await session.call('workers.get_all', { last_seen: request.lastSeenSec }, { version: v['workers.get_all'] });
      return readData(z.looseObject({ workers: z.array(workerSchema).nullish().transform((w) => w ?? []) }), data, 'workers.get_all').workers;
    },
    /** Enterprise servers only; OSS answers 404 (callers treat any error as "unsupported"). */
    async getRuntimeProperties(request: { worker: string }): Promise<RuntimeProperty[]> {
      const data = await session.call('workers.get_runtime_properties', { worker: request.worker }, { version: v['workers.get_runtime_properties'] });
      return readData(runtimePropertiesResult, data, 'workers.get_runtime_properties').runtime_properties;
    },
    async setRuntimeProperties(request: { worker: string; runtimeProperties: RuntimeProperty[] }): Promise<void> {
      await session.call('workers.set_runtime_properties', { worker: request.worker, runtime_properties: request.runtimeProperties }, { version: v['workers.set_runtime_properties'] });
    },
  };
}

export type WorkersService = ReturnType<typeof createWorkersService>;
