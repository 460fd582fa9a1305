// Test double for the network of the task outbox: an in-process "server" that records log
// batches and status calls in the order they arrive, and can be down (no answer, as the API
// client reports it) or refuse requests (HTTP 400, as the server answers a deleted task).
import { ApiError } from '../../../src-main/engine/api/errors.js';
import type { LogEvent, OutboxServer, StatusChange } from '../../../src-main/engine/logs/index.js';

export type RecordedCall =
  | { kind: 'batch'; events: LogEvent[] }
  | { kind: 'status'; call: 'completed' | 'failed' | 'stopped'; taskId: string; change: StatusChange }
  | { kind: 'runtime'; taskId: string; values: Record<string, unknown> };

export interface RecordingServer extends OutboxServer {
  readonly calls: RecordedCall[];
  /** While true every call fails as "no answer". */
  down: boolean;
  /** While true log batches are refused with HTTP 400 (events not added). */
  refuseEvents: boolean;
  /** While true status calls are refused with HTTP 400 (invalid task status). */
  refuseStatus: boolean;
  failures: number;
  /** Milliseconds each accepted batch takes. */
  batchDelayMs: number;
  events(taskId?: string): LogEvent[];
  lines(taskId?: string): string[];
  statusCalls(taskId?: string): Extract<RecordedCall, { kind: 'status' }>[];
}

const noAnswer = (endpoint: string) =>
  new ApiError({ kind: 'network', httpCode: 0, resultCode: 0, resultSubcode: 0, endpoint, message: `${endpoint}: no answer (test server down)` });
const refused = (endpoint: string, subcode: number, message: string) =>
  new ApiError({ kind: 'http', httpCode: 400, resultCode: 400, resultSubcode: subcode, endpoint, message: `${endpoint}: ${message}` });

export function createRecordingServer(): RecordingServer {
  const calls: RecordedCall[] = [];
  const server: RecordingServer = {
    calls,
    down: false,
    refuseEvents: false,
    refuseStatus: false,
    failures: 0,
    batchDelayMs: 0,
    async addLogEvents(events) {
      await new Promise((r) => setTimeout(r, server.batchDelayMs));
      if (server.down) {
        server.failures++;
        throw noAnswer('events.add_batch');
      }
      if (server.refuseEvents) throw refused('events.add_batch', 131, 'events not added: invalid task id');
      calls.push({ kind: 'batch', events: events.map((e) => ({ ...e })) });
    },
    async mergeRuntime(taskId, values) {
      await Promise.resolve();
      if (server.down) throw noAnswer('tasks.edit');
      calls.push({ kind: 'runtime', taskId, values });
    },
    completed: (taskId, change) => status('completed', taskId, change),
    failed: (taskId, change) => status('failed', taskId, change),
    stopped: (taskId, change) => status('stopped', taskId, change),
    events(taskId) {
      return calls.flatMap((c) => (c.kind === 'batch' ? c.events : [])).filter((e) => !taskId || e.task === taskId);
    },
    lines(taskId) {
      return server.events(taskId).flatMap((e) => e.msg.split('\n').slice(0, -1));
    },
    statusCalls(taskId) {
      return calls.filter((c): c is Extract<RecordedCall, { kind: 'status' }> => c.kind === 'status' && (!taskId || c.taskId === taskId));
    },
  };
  async function status(call: 'completed' | 'failed' | 'stopped', taskId: string, change: StatusChange): Promise<void> {
    await Promise.resolve();
    if (server.down) {
      server.failures++;
      throw noAnswer(`tasks.${call}`);
    }
    if (server.refuseStatus) throw refused(`tasks.${call}`, 110, 'invalid task status');
    calls.push({ kind: 'status', call, taskId, change });
  }
  return server;
}
