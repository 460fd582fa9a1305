// Wakes the daemon when a schedule window opens or closes. Being inside a window is a state that
// the pull loop re-checks on every pass; this only makes sure something looks at the clock at
// the hour boundaries where that state can change, also while the daemon sleeps or long-polls.
import { createTask, type Logger, type ScheduledTask } from 'node-cron';
import { isActiveAt, nextScheduleEdge, type Schedule } from './schedule-spec.js';

export interface ScheduleEdge {
  /** Inside one of the schedule's windows now. */
  inside: boolean;
  at: Date;
}

export interface ScheduleWatcher {
  /** Inside a window as of the last check. */
  inside(): boolean;
  /** Re-evaluates now (call after a resume from sleep); fires onEdge if the state changed. */
  check(): void;
  nextEdge(): Date | null;
  stop(): void;
}

export interface ScheduleWatcherOptions {
  schedule: Schedule;
  onEdge: (edge: ScheduleEdge) => void;
  /** The clock the schedule is evaluated with; tests pass their own. */
  now?: () => Date;
  /** Where node-cron's own messages go (default: dropped). */
  logger?: Logger;
}

const SILENT: Logger = { info() {}, warn() {}, error() {}, debug() {} };

export function createScheduleWatcher(options: ScheduleWatcherOptions): ScheduleWatcher {
  const now = options.now ?? (() => new Date());
  let inside = isActiveAt(options.schedule, now());

  const check = (): void => {
    const at = now();
    const current = isActiveAt(options.schedule, at);
    if (current === inside) return;
    inside = current;
    options.onEdge({ inside: current, at });
  };

  // Windows are whole local hours, so the top of every hour is the only moment state can flip.
  const task: ScheduledTask = createTask('0 * * * *', () => check(), {
    name: 'tray-agent schedule edges',
    unref: true,
    logger: options.logger ?? SILENT,
    suppressMissedWarning: true,
  });
  // A heartbeat that slept through an hour (suspend/resume) reports it as missed: look again.
  task.on('execution:missed', () => check());
  void task.start();

  return {
    inside: () => inside,
    check,
    nextEdge: () => nextScheduleEdge(options.schedule, now()),
    stop: () => {
      void task.destroy();
    },
  };
}
