// What the glue loop needs from a scheduler (Slurm, Kubernetes): submit a prepared job, see
// every job's state in one query, cancel, clean up. The loop owns the ClearML side.
import type { QueueRef } from '../daemon/daemon-api.js';
import type { SchedulerJobEntry, SchedulerName } from './job-registry.js';
import type { GlueTask } from './glue-api.js';

export type JobObservation =
  | {
      readonly phase: 'pending';
      /** The scheduler's words for why it waits (Slurm reason code, pod waiting reason). */
      readonly reason: string;
      /** Set when the job will never start as asked: the task fails with this. */
      readonly never: string | null;
    }
  | { readonly phase: 'running'; readonly where: string }
  | {
      readonly phase: 'ended';
      /** COMPLETED, FAILED, CANCELLED, TIMEOUT, … / Succeeded, Failed. */
      readonly state: string;
      /** What the scheduler says about the ending (exit code, reason), for the task's status. */
      readonly detail: string;
    }
  /** The scheduler no longer knows the job (purged after it ended, or deleted). */
  | { readonly phase: 'gone' };

/** A task that cannot become a job (template error, scheduler refused it): fails with this. */
export class JobRejectedError extends Error {
  override readonly name = 'JobRejectedError';
  constructor(
    /** Short status reason for the task (`Slurm glue: template error`). */
    readonly statusReason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The scheduler could not be asked (command failed, API unreachable): nothing is concluded. */
export class SchedulerUnavailableError extends Error {
  override readonly name = 'SchedulerUnavailableError';
}

export interface PreparedJob {
  readonly taskId: string;
  /** Shown in the task's log: what was rendered from which template. */
  readonly summary: string;
}

export interface SchedulerBackend<P extends PreparedJob = PreparedJob> {
  readonly scheduler: SchedulerName;
  /** `Slurm` / `Kubernetes`, for messages. */
  readonly displayName: string;
  /** Renders the job for the task; JobRejectedError when it cannot (nothing submitted). */
  prepare(task: GlueTask, queue: QueueRef): Promise<P>;
  /** Submits; JobRejectedError when the scheduler refuses, with its words. Returns the job id. */
  submit(job: P): Promise<string>;
  /** A job of this task the scheduler already has (adoption after a crash mid-submit). */
  findJob(taskId: string): Promise<string | null>;
  /** The state of each entry's job, in one query; SchedulerUnavailableError when it cannot tell. */
  observe(entries: readonly SchedulerJobEntry[]): Promise<Map<string, JobObservation>>;
  cancel(entry: SchedulerJobEntry): Promise<void>;
  /** Removes what is left of an ended job (k8s deletes pods); Slurm has nothing to remove. */
  cleanup(entry: SchedulerJobEntry): Promise<void>;
  /** The last lines the job printed, when the glue can read them (for a task that never started). */
  outputTail(entry: SchedulerJobEntry): Promise<string[]>;
  /** Jobs of this glue that count against a total limit (k8s --max-pods); null when not limited. */
  countActive?(): Promise<number>;
}
