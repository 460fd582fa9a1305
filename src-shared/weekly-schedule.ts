/**
 * clearml's working-hour syntax ("17-20 SUN-TUE", "20 SAT", "22-02 FRI") as a week grid and
 * back, for the schedule editor. Reading is the engine's own (schedule-syntax.ts: end hour
 * exclusive, 00/24 as the end = midnight, a start hour alone = until midnight, hour ranges that
 * pass midnight run into the next day, day ranges wrap around the week, days left out = every
 * day), so the grid shows exactly what the daemon will obey.
 */
import { DAY_NAMES, parseScheduleSpec } from './schedule-syntax.js';

export { emptyWeekGrid } from './schedule-syntax.js';
export const WEEK_DAYS = DAY_NAMES;

/** `grid[day][hour]`: the hour starting then is inside a window; day 0 = Sunday. */
export type WeekGrid = boolean[][];

/** The grid of a list of entries (null = none); throws ScheduleSpecError naming a bad entry. */
export function entriesToGrid(entries: readonly string[] | null): WeekGrid {
  return parseScheduleSpec(entries ?? []).covered;
}

const two = (h: number) => String(h % 24).padStart(2, '0');

/** "MON-FRI", "SUN,TUE", "SAT" for a sorted list of days. */
function dayText(list: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < list.length; ) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j += 1;
    const from = WEEK_DAYS[list[i]!]!;
    parts.push(j - i >= 2 ? `${from}-${WEEK_DAYS[list[j]!]}` : list.slice(i, j + 1).map((d) => WEEK_DAYS[d]).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The shortest usual way to write a grid: one entry per distinct set of hour runs, naming the
 * days that share it ("09-18 MON-FRI"). An hour run ending at midnight is written "…-00".
 */
export function gridToEntries(grid: WeekGrid): string[] {
  const byHours = new Map<string, number[]>();
  grid.forEach((hours, d) => {
    const runs: string[] = [];
    for (let h = 0; h < 24; ) {
      if (!hours[h]) {
        h += 1;
        continue;
      }
      const start = h;
      while (h < 24 && hours[h]) h += 1;
      runs.push(`${two(start)}-${two(h)}`);
    }
    if (runs.length === 0) return;
    const key = runs.join(',');
    byHours.set(key, [...(byHours.get(key) ?? []), d]);
  });
  return [...byHours.entries()].map(([hours, list]) => (list.length === 7 ? hours : `${hours} ${dayText(list)}`));
}

/** Entries that do not parse, with the reason, for the editor's text field. */
export function checkEntries(entries: readonly string[]): string | null {
  try {
    entriesToGrid(entries);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
