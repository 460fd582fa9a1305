// Working-hour schedules (`--uptime` / `--downtime`, `agent.uptime` / `agent.downtime`):
// entries like "17-20 SUN-TUE", evaluated in the machine's local time.

import type { Schedule } from '../../../src-shared/schedule-syntax.js';

// The reading itself is shared with the renderer's schedule editor (src-shared), so both read
// every entry alike; what the daemon does with a schedule lives here.
export {
  DAY_NAMES,
  ScheduleSpecError,
  parseScheduleEntry,
  parseScheduleSpec,
  type Schedule,
  type ScheduleEntry,
} from '../../../src-shared/schedule-syntax.js';

/** Whether `date` (local time) falls inside one of the schedule's windows. */
export function isActiveAt(schedule: Schedule, date: Date): boolean {
  return schedule.covered[date.getDay()]?.[date.getHours()] ?? false;
}

/**
 * The next local hour boundary after `now` at which being inside the schedule changes, or null
 * when it never changes (empty or round-the-clock schedule).
 */
export function nextScheduleEdge(schedule: Schedule, now: Date): Date | null {
  const inside = isActiveAt(schedule, now);
  // Stepping through Date's local-time constructor keeps hours right across DST changes.
  for (let k = 1; k <= 7 * 24 + 1; k += 1) {
    const candidate = new Date(now.getFullYear(), now.getMonth(), now.getDate(), now.getHours() + k, 0, 0, 0);
    if (isActiveAt(schedule, candidate) !== inside) return candidate;
  }
  return null;
}

/** "17-20 SUN-TUE; 20 SAT" — for logs and `daemon --status`. */
export function describeSchedule(schedule: Schedule): string {
  return schedule.entries.map((e) => e.text).join('; ');
}
