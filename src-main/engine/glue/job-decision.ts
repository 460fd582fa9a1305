// What the glue does about one job on one pass, from what the scheduler says about the job and
// what the server says about its task. Pure, so every pairing is table-tested.
import type { JobObservation } from './scheduler-backend.js';
import type { TaskStatusView } from './glue-api.js';

/** What the glue remembers about a job between passes (not persisted: a restart starts afresh). */
export interface JobMemory {
  lastMessage?: string;
  /** When the glue first saw the task aborted (or ended) while its job still ran. */
  abortSeenAt?: number;
  /** The glue cancelled the job because the task was aborted: an in_progress task ends stopped. */
  cancelledForAbort?: boolean;
}

export type TaskOutcome =
  | { readonly kind: 'leave' }
  | {
      readonly kind: 'fail' | 'stop';
      readonly statusReason: string;
      readonly statusMessage: string;
      /** The task never started: its queue entry in the pending queue goes too. */
      readonly fromPendingQueue: boolean;
      /** Copy the job's last output lines into the task's log (why it never started). */
      readonly attachOutput: boolean;
    };

export type JobDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'message'; readonly text: string }
  /** Remember now as abortSeenAt. */
  | { readonly kind: 'note-abort' }
  /**
   * Cancel the job. `settle` set: the job never ran, so the task is settled and the entry
   * forgotten at once; unset: the entry stays until the scheduler reports the job ended.
   */
  | { readonly kind: 'cancel'; readonly why: string; readonly settle: TaskOutcome | null }
  /** The job is over: settle the task, clean up, forget the entry. */
  | { readonly kind: 'finish'; readonly outcome: TaskOutcome };

const finalStatuses = new Set(['stopped', 'failed', 'completed', 'closed', 'published', 'publishing']);

export interface DecisionInputs {
  readonly jobId: string;
  readonly observation: JobObservation;
  /** null: the task was deleted. */
  readonly task: TaskStatusView | null;
  readonly memory: JobMemory;
  readonly now: number;
  /** How long a job may keep running after its task was aborted before the glue cancels it. */
  readonly abortGraceMs: number;
  /** `Slurm` / `Kubernetes`. */
  readonly scheduler: string;
}

export function decideJobAction(inputs: DecisionInputs): JobDecision {
  const { observation: obs, task, memory, scheduler, jobId } = inputs;
  const job = `${scheduler} job ${jobId}`;
  const status = task?.status ?? null;
  const taskOver = task === null || status === 'created' || finalStatuses.has(status ?? '');
  const stopping = status === 'in_progress' && /stopping/i.test(task?.statusMessage ?? '');
  const message = (text: string): JobDecision => (memory.lastMessage === text ? { kind: 'none' } : { kind: 'message', text });

  switch (obs.phase) {
    case 'pending': {
      if (taskOver) return { kind: 'cancel', why: task === null ? 'the task was deleted' : `the task is ${status}`, settle: { kind: 'leave' } };
      if (stopping) {
        return {
          kind: 'cancel',
          why: 'the task was aborted',
          settle: { kind: 'stop', statusReason: 'aborted', statusMessage: `aborted while ${job} was pending`, fromPendingQueue: false, attachOutput: false },
        };
      }
      if (obs.never !== null) {
        return {
          kind: 'cancel',
          why: `it cannot start (${obs.reason})`,
          settle: {
            kind: 'fail',
            statusReason: `${scheduler} cannot start the job`,
            statusMessage: `${job} cannot start: ${obs.reason} — ${obs.never}`,
            fromPendingQueue: status === 'queued',
            attachOutput: false,
          },
        };
      }
      if (status === 'queued') return message(`${job} pending: ${obs.reason}`);
      return { kind: 'none' };
    }
    case 'running': {
      if (taskOver || stopping) {
        if (memory.abortSeenAt === undefined) return { kind: 'note-abort' };
        if (!memory.cancelledForAbort && inputs.now - memory.abortSeenAt >= inputs.abortGraceMs) {
          return { kind: 'cancel', why: `the task is ${stopping ? 'being aborted' : (status ?? 'deleted')} and the job still runs`, settle: null };
        }
        return { kind: 'none' };
      }
      if (status === 'queued') return message(`${job} running on ${obs.where || 'its node'}; starting the agent`);
      return { kind: 'none' };
    }
    case 'ended':
    case 'gone': {
      const how = obs.phase === 'gone' ? `is no longer known to ${scheduler}` : `ended ${obs.state}${obs.detail ? ` (${obs.detail})` : ''}`;
      if (status === 'queued') {
        return {
          kind: 'finish',
          outcome: { kind: 'fail', statusReason: `${scheduler} job ended before the task started`, statusMessage: `${job} ${how} before the task started`, fromPendingQueue: true, attachOutput: true },
        };
      }
      if (status === 'in_progress') {
        if (memory.cancelledForAbort || stopping) {
          return { kind: 'finish', outcome: { kind: 'stop', statusReason: 'aborted', statusMessage: `aborted; ${job} was cancelled`, fromPendingQueue: false, attachOutput: false } };
        }
        return {
          kind: 'finish',
          outcome: { kind: 'fail', statusReason: `${scheduler} job ended while the task ran`, statusMessage: `${job} ${how} while the task was running`, fromPendingQueue: false, attachOutput: true },
        };
      }
      return { kind: 'finish', outcome: { kind: 'leave' } };
    }
  }
}
