/**
 * The server calls the daemon loop makes, as a narrow interface (implemented over the ClearML
 * API client in api-adapter.ts), so the loop states exactly what it needs and is testable.
 */
export interface QueueRef {
  readonly id: string;
  readonly name: string;
}

export interface RuntimeForce {
  readonly value: string;
  /** Epoch ms when the server drops the property; null = no expiry. */
  readonly expiresAt: number | null;
}

export interface StatusReport {
  readonly workerId: string;
  readonly queueIds: readonly string[];
  readonly taskId?: string;
  readonly queueId?: string;
  readonly machineStats?: Record<string, unknown> | null;
  /** --child-report-tags */
  readonly tags?: readonly string[];
}

export interface DaemonApi {
  /** Names or ids → queues; with `create`, missing names are created. Unknown → error naming them. */
  resolveQueues(namesOrIds: readonly string[], options: { create: boolean }): Promise<QueueRef[]>;
  /** The server's default queue (system tag `default`, else a queue named `default`). */
  defaultQueue(): Promise<QueueRef>;
  queueTags(queueIds: readonly string[]): Promise<Map<string, readonly string[]>>;
  /** null when unset; `unsupported` when the server has no runtime properties (OSS). */
  runtimeForce(workerId: string): Promise<RuntimeForce | null | 'unsupported'>;
  /**
   * Pops the next task from the first non-empty queue of `queueIds` (in that order). With
   * `waitMs` > 0 (only when the server advertised long-poll) the server holds the call until
   * an entry arrives or the time is up.
   */
  nextTask(queueIds: readonly string[], options: { waitMs: number; workerId: string; signal?: AbortSignal }): Promise<{ taskId: string; queueId: string } | null>;
  /** Largest `waitMs` the server accepts; 0 when long-poll is not advertised. */
  longPollMaxMs(): number;
  register(workerId: string, queueIds: readonly string[]): Promise<void>;
  unregister(workerId: string): Promise<void>;
  statusReport(report: StatusReport): Promise<void>;
  markPulled(taskId: string, workerId: string, queueName: string): Promise<void>;
  markFailed(taskId: string, statusReason: string, statusMessage: string): Promise<void>;
}
