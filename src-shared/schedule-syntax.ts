// clearml's working-hour syntax (`--uptime` / `--downtime`, `agent.uptime` / `agent.downtime`):
// entries like "17-20 SUN-TUE". One reader for both sides: the engine decides from it what the
// daemon obeys, the renderer's schedule editor draws its week grid from it, so the two can
// never read an entry differently. Pure; no Node or DOM.

export const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const FULL_DAY_NAMES = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

export interface ScheduleEntry {
  /** The entry as written. */
  text: string;
  /** Hour windows `[start, end)` in 0…24; an entry like 22-02 has end > 24 (runs into the next day). */
  hours: { start: number; end: number }[];
  /** Days the windows start on, 0 = SUN … 6 = SAT. */
  days: number[];
}

export interface Schedule {
  entries: ScheduleEntry[];
  /** `covered[day][hour]`: the hour starting then lies inside some window; day 0 = Sunday. */
  covered: boolean[][];
}

/** A week with no hour marked: `[day][hour]`, day 0 = Sunday. */
export function emptyWeekGrid(): boolean[][] {
  return Array.from({ length: 7 }, () => Array<boolean>(24).fill(false));
}

export class ScheduleSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleSpecError';
  }
}

const EXPECTED =
  'expected "<hours> <days>", hours as START-END (end exclusive, 00 = midnight) or START (until midnight), days as SUN…SAT, ranges like MON-FRI, comma lists; e.g. "17-20 SUN-TUE", "20 SAT", "20-00,00-08 SUN"';

function fail(entry: string, detail: string): ScheduleSpecError {
  return new ScheduleSpecError(`schedule entry "${entry}": ${detail}; ${EXPECTED}`);
}

function parseHour(entry: string, token: string, role: 'start' | 'end'): number {
  if (!/^\d{1,2}$/.test(token)) throw fail(entry, `"${token}" is not an hour`);
  const hour = Number(token);
  if (role === 'start' && hour > 23) throw fail(entry, `start hour ${token} is past 23 (out of range)`);
  if (role === 'end' && hour > 24) throw fail(entry, `end hour ${token} is past 24 (out of range)`);
  // An end of 0 is midnight at the end of the day (clearml-agent: end=0 means 24).
  return role === 'end' && hour === 0 ? 24 : hour;
}

function parseHours(entry: string, text: string): ScheduleEntry['hours'] {
  return text.split(',').map((token) => {
    if (token === '') throw fail(entry, 'empty hour range between commas');
    const range = /^([^-]*)-([^-]*)$/.exec(token);
    if (!range) return { start: parseHour(entry, token, 'start'), end: 24 };
    const start = parseHour(entry, range[1] ?? '', 'start');
    const end = parseHour(entry, range[2] ?? '', 'end');
    if (start === end) throw fail(entry, `hour range ${token} is empty`);
    // 22-02: from 22:00 on the named day until 02:00 the next morning.
    return { start, end: end < start ? end + 24 : end };
  });
}

function parseDay(entry: string, token: string): number {
  const upper = token.toUpperCase();
  const day = Math.max(DAY_NAMES.indexOf(upper as (typeof DAY_NAMES)[number]), FULL_DAY_NAMES.indexOf(upper));
  if (day < 0) throw fail(entry, `"${token}" is not a day`);
  return day;
}

function parseDays(entry: string, text: string): number[] {
  const days = new Set<number>();
  for (const token of text.split(',')) {
    if (token === '') throw fail(entry, 'empty day between commas');
    const range = /^([^-]+)-([^-]+)$/.exec(token);
    if (!range) {
      days.add(parseDay(entry, token));
      continue;
    }
    const from = parseDay(entry, range[1] ?? '');
    const to = parseDay(entry, range[2] ?? '');
    // Day ranges wrap around the week: FRI-MON = FRI, SAT, SUN, MON.
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

export function parseScheduleEntry(entry: string): ScheduleEntry {
  const text = entry.trim().replace(/\s+/g, ' ');
  if (text === '') throw fail(entry, 'the entry is empty');
  const parts = text.split(' ');
  if (parts.length > 2) throw fail(entry, 'too many parts (write hours, a space, then days, without spaces inside either)');
  const hours = parseHours(entry, parts[0] ?? '');
  // Days may be left out: every day.
  const days = parts[1] === undefined ? [0, 1, 2, 3, 4, 5, 6] : parseDays(entry, parts[1]);
  return { text, hours, days };
}

/** Parses every entry (throwing ScheduleSpecError naming the first bad one) and marks the week. */
export function parseScheduleSpec(entries: readonly string[]): Schedule {
  const parsed = entries.map(parseScheduleEntry);
  const covered = emptyWeekGrid();
  for (const entry of parsed) {
    for (const day of entry.days) {
      for (const { start, end } of entry.hours) {
        for (let h = start; h < end; h += 1) {
          const row = covered[(day + Math.floor(h / 24)) % 7];
          if (row) row[h % 24] = true;
        }
      }
    }
  }
  return { entries: parsed, covered };
}
