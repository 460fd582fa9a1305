// The server calls the glue makes, as a narrow interface (implemented over the ClearML API
// client in api-adapter.ts). Queue resolution, pulling and worker reports are the daemon's.
import type { Task } from '../api/index.js';
import type { DaemonApi, QueueRef } from '../daemon/daemon-api.js';

export type GlueTask = Task;

export interface TaskStatusView {
  readonly status: string;
  readonly statusMessage: string;
}

export interface GlueApi extends Pick<DaemonApi, 'resolveQueues' | 'nextTask' | 'register' | 'unregister' | 'statusReport'> {
  /** The visible queue tasks wait in while their job is pending (created, hidden from workers, when missing). */
  pendingQueue(name: string, systemTag: string): Promise<QueueRef>;
  getTask(taskId: string): Promise<GlueTask>;
  projectName(projectId: string): Promise<string | null>;
  /** Status of each task that still exists (absent from the map: deleted). */
  taskStatuses(taskIds: readonly string[]): Promise<Map<string, TaskStatusView>>;
  /** Puts the task in the pending queue (status queued) with a message saying why it waits. */
  moveToPending(taskId: string, pendingQueueId: string, statusMessage: string): Promise<void>;
  /** Tells the user (UI "status message") what the scheduler says, without changing the status. */
  setStatusMessage(taskId: string, statusMessage: string): Promise<void>;
  /** Takes the task out of `queueId` (when given) and marks it failed. */
  failTask(taskId: string, change: { statusReason: string; statusMessage: string; queueId?: string }): Promise<void>;
  stopTask(taskId: string, change: { statusReason: string; statusMessage: string; queueId?: string }): Promise<void>;
  /** Back into its own queue (k8s --max-pods), still queued. */
  requeue(taskId: string, queueId: string, statusMessage: string): Promise<void>;
  /** One line in the task's console log, from the glue's worker. */
  logLine(taskId: string, workerId: string, level: 'INFO' | 'WARNING' | 'ERROR', text: string): Promise<void>;
}
