/**
 * clearml's working-hour syntax ("17-20 SUN-TUE", "20 SAT", "22-02 FRI") as a week grid and
 * back, for the schedule editor. Reading follows the engine's rules (src-main/engine/schedule/
 * schedule-spec.ts: end hour exclusive, 00/24 as the end = midnight, a start hour alone = until
 * midnight, hour ranges that pass midnight run into the next day, day ranges wrap around the
 * week, days left out = every day); the main process still checks every entry when it is saved.
 */

export const WEEK_DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const FULL_DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

/** `grid[day][hour]`: the hour starting then is inside a window; day 0 = Sunday. */
export type WeekGrid = boolean[][];

export function emptyWeekGrid(): WeekGrid {
  return Array.from({ length: 7 }, () => Array<boolean>(24).fill(false));
}

export class ScheduleSyntaxError extends Error {
  override readonly name = 'ScheduleSyntaxError';
}

function fail(entry: string, detail: string): never {
  throw new ScheduleSyntaxError(`"${entry}": ${detail} (expected e.g. "17-20 SUN-TUE", "20 SAT")`);
}

function hour(entry: string, token: string, role: 'start' | 'end'): number {
  if (!/^\d{1,2}$/.test(token)) fail(entry, `"${token}" is not an hour`);
  const value = Number(token);
  if (value > (role === 'start' ? 23 : 24)) fail(entry, `hour ${token} is out of range`);
  return role === 'end' && value === 0 ? 24 : value;
}

function day(entry: string, token: string): number {
  const upper = token.toUpperCase();
  const index = Math.max((WEEK_DAYS as readonly string[]).indexOf(upper), FULL_DAYS.indexOf(upper));
  if (index < 0) fail(entry, `"${token}" is not a day`);
  return index;
}

function days(entry: string, text: string | undefined): number[] {
  if (text === undefined) return [0, 1, 2, 3, 4, 5, 6];
  const found = new Set<number>();
  for (const token of text.split(',')) {
    const range = /^([^-]+)-([^-]+)$/.exec(token);
    if (!range) {
      found.add(day(entry, token));
      continue;
    }
    const to = day(entry, range[2] ?? '');
    for (let d = day(entry, range[1] ?? ''); ; d = (d + 1) % 7) {
      found.add(d);
      if (d === to) break;
    }
  }
  return [...found];
}

/** Marks one entry's hours on `grid`; throws ScheduleSyntaxError naming the entry. */
function markEntry(grid: WeekGrid, raw: string): void {
  const entry = raw.trim().replace(/\s+/g, ' ');
  if (entry === '') fail(raw, 'the entry is empty');
  const [hoursText, daysText, extra] = entry.split(' ');
  if (extra !== undefined) fail(raw, 'too many parts');
  const startDays = days(raw, daysText);
  for (const token of (hoursText ?? '').split(',')) {
    const range = /^([^-]*)-([^-]*)$/.exec(token);
    const start = hour(raw, range ? (range[1] ?? '') : token, 'start');
    let end = range ? hour(raw, range[2] ?? '', 'end') : 24;
    if (start === end) fail(raw, `hour range ${token} is empty`);
    if (end < start) end += 24;
    for (const d of startDays) for (let h = start; h < end; h += 1) grid[(d + Math.floor(h / 24)) % 7]![h % 24] = true;
  }
}

/** The grid of a list of entries (null = none). */
export function entriesToGrid(entries: readonly string[] | null): WeekGrid {
  const grid = emptyWeekGrid();
  for (const entry of entries ?? []) markEntry(grid, entry);
  return grid;
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
