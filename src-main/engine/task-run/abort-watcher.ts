import type { StopReason } from './stop-reason.js';
import type { TaskStatusView } from './task-run-api.js';

/**
 * Turns one observed task status into a stop decision (reference §3.9). `createdStreak` counts
 * consecutive polls that saw `created`: a reset is only believed after several in a row, as
 * clearml-agent does, because a status can pass through `created` during a legitimate edit.
 */
export function stopReasonFromStatus(view: TaskStatusView | null, createdStreak: number, createdPollsForReset = 4): StopReason | null {
  if (view === null) return { kind: 'not-found' };
  const { status, statusMessage } = view;
  if (status === 'in_progress') return statusMessage.toLowerCase().includes('stopping') ? { kind: 'user-abort' } : null;
  if (status === 'created') return createdStreak >= createdPollsForReset ? { kind: 'reset' } : null;
  if (['closed', 'stopped', 'failed', 'published', 'publishing', 'queued', 'completed'].includes(status)) {
    return { kind: 'status-changed', status };
  }
  return null;
}

export interface AbortWatcherOptions {
  readonly taskId: string;
  readonly intervalMs: number;
  readonly getTaskStatus: (taskId: string) => Promise<TaskStatusView | null>;
  readonly onPollError?: (error: unknown) => void;
  readonly onResetSuspected?: (streak: number) => void;
}

export interface AbortWatcher {
  /** Resolves with the first stop reason seen; never rejects. */
  readonly stopRequested: Promise<StopReason>;
  close(): void;
}

export function watchForAbort(options: AbortWatcherOptions): AbortWatcher {
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let createdStreak = 0;
  let resolveStop!: (reason: StopReason) => void;
  const stopRequested = new Promise<StopReason>((resolve) => (resolveStop = resolve));

  const poll = async (): Promise<void> => {
    if (closed) return;
    try {
      const view = await options.getTaskStatus(options.taskId);
      createdStreak = view?.status === 'created' ? createdStreak + 1 : 0;
      if (createdStreak > 0) options.onResetSuspected?.(createdStreak);
      const reason = stopReasonFromStatus(view, createdStreak);
      if (reason && !closed) {
        closed = true;
        resolveStop(reason);
        return;
      }
    } catch (error) {
      // A server hiccup is not a stop signal; keep polling.
      options.onPollError?.(error);
    }
    if (!closed) timer = setTimeout(() => void poll(), options.intervalMs);
  };
  timer = setTimeout(() => void poll(), options.intervalMs);

  return {
    stopRequested,
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
