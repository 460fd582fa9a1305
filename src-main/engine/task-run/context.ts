import type { CleanupStack } from './cleanup-stack.js';
import type { TaskRecord } from './task-record.js';
import type { TaskRunApi } from './task-run-api.js';
import type { TaskRunSettings } from './settings.js';
import type { RunEnding } from './final-status.js';
import type { StopReason } from './stop-reason.js';
import type { PreparedWorkspace } from '../workspace/index.js';
import type { PreparedEnvironment } from '../environment/index.js';
import type { ManagedProcess } from '../process/index.js';

export type AgentLogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

/** Progress of a run, for the daemon, the UI and the CLI. */
export type TaskRunEvent =
  | { type: 'phase-started'; taskId: string; phase: string }
  | { type: 'phase-finished'; taskId: string; phase: string; durationMs: number }
  | { type: 'process-started'; taskId: string; pid: number }
  | { type: 'finished'; taskId: string; status: string };

/** Mutable state of one run, filled in phase by phase. */
export interface TaskRunContext {
  readonly taskId: string;
  readonly workerId: string;
  readonly api: TaskRunApi;
  readonly settings: TaskRunSettings;
  readonly cleanups: CleanupStack;
  /** Agent messages to the task log (and the terminal when echoing). */
  readonly log: (level: AgentLogLevel, text: string) => void;
  readonly emit: (event: TaskRunEvent) => void;
  /** Per-task scratch folder (private, 0700). */
  readonly taskDir: string;
  task?: TaskRecord;
  workspace?: PreparedWorkspace;
  environment?: PreparedEnvironment;
  process?: ManagedProcess;
  /** Set as soon as something asks the run to stop (abort, shutdown, time-out). */
  stopReason?: StopReason;
  ending?: RunEnding;
  /** Output sink for the task process (stdout / stderr bytes). */
  readonly output: { stdout(chunk: Buffer): void; stderr(chunk: Buffer): void };
  /** Duration of each phase in ms, reported at the end. */
  readonly timings: Record<string, number>;
  /** Resolves with the reason when something asks the run to stop (abort, shutdown, time-out). */
  readonly stopRequested: Promise<StopReason>;
}

/** One step of a task's path (DESIGN.md): small, with one entry. */
export interface TaskPhase {
  readonly name: string;
  run(ctx: TaskRunContext, signal: AbortSignal): Promise<void>;
}

/** A setup failure that should end the task as failed with this status reason. */
export class TaskSetupError extends Error {
  override readonly name = 'TaskSetupError';
  constructor(
    readonly statusReason: string,
    message: string,
  ) {
    super(message);
  }
}
