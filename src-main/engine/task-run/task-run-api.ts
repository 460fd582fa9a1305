import type { TaskRecord } from './task-record.js';

/**
 * The server calls one task run makes, as a narrow interface: the pipeline depends on this,
 * not on the whole API client, so each phase states exactly what it needs from the server.
 * `createTaskRunApi` (api-adapter.ts) implements it over the ClearML API client.
 */
export interface StatusChange {
  readonly statusReason: string;
  readonly statusMessage: string;
}

export interface TaskStatusView {
  readonly status: string;
  readonly statusMessage: string;
}

export interface TaskLogEvent {
  readonly type: 'log';
  readonly task: string;
  readonly worker: string;
  readonly level: string;
  readonly msg: string;
  readonly timestamp: number;
}

export interface TaskRunApi {
  /** false for `--disable-monitoring` (monitoring.ts): writes are no-ops, no abort is watched. */
  readonly reportsToServer?: boolean;
  getTask(taskId: string): Promise<TaskRecord>;
  /** null when the task no longer exists. */
  getTaskStatus(taskId: string): Promise<TaskStatusView | null>;
  /** Takes the task out of its queue; `dequeued` false when it was not queued. */
  dequeue(taskId: string, newStatus: string): Promise<{ dequeued: boolean }>;
  started(taskId: string, change: StatusChange): Promise<void>;
  completed(taskId: string, change: StatusChange): Promise<void>;
  failed(taskId: string, change: StatusChange): Promise<void>;
  stopped(taskId: string, change: StatusChange): Promise<void>;
  ping(taskId: string): Promise<void>;
  /**
   * Tells the server this worker runs the task (status report with `task`): that makes the
   * server treat `tasks.stop` as a request to us ("stopping") rather than stopping it itself.
   */
  reportWorkerRunning(workerId: string, taskId: string): Promise<void>;
  setRequirements(taskId: string, requirements: { org_pip?: string | null; pip: string }): Promise<void>;
  setScriptVersion(taskId: string, commit: string): Promise<void>;
  /** Read-modify-write of `runtime` (the server replaces it whole on edit). */
  mergeRuntime(taskId: string, values: Record<string, unknown>): Promise<void>;
  addLogEvents(events: readonly TaskLogEvent[]): Promise<void>;
  clone(taskId: string, newName: string): Promise<string>;
}
