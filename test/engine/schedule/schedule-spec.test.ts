import { describe, expect, it } from 'vitest';
import {
  DAY_NAMES,
  ScheduleSpecError,
  isActiveAt,
  nextScheduleEdge,
  parseScheduleSpec,
} from '../../../src-main/engine/schedule/index.js';

/** Local time in the week of Sunday 29 Nov 2026. */
function at(day: (typeof DAY_NAMES)[number], hour: number, minute = 0): Date {
  return new Date(2026, 10, 29 + DAY_NAMES.indexOf(day), hour, minute);
}

describe('parseScheduleSpec', () => {
  it('reads hours, days and lists', () => {
    const schedule = parseScheduleSpec(['17-20 SUN-TUE', '20 SAT', '20-00,00-08 SUN']);
    expect(schedule.entries).toEqual([
      { text: '17-20 SUN-TUE', hours: [{ start: 17, end: 20 }], days: [0, 1, 2] },
      { text: '20 SAT', hours: [{ start: 20, end: 24 }], days: [6] },
      { text: '20-00,00-08 SUN', hours: [{ start: 20, end: 24 }, { start: 0, end: 8 }], days: [0] },
    ]);
  });

  it.each([
    ['day ranges wrap: FRI-MON', 'FRI-MON', [0, 1, 5, 6]],
    ['SAT-SUN wraps', 'SAT-SUN', [0, 6]],
    ['comma list with a range', 'MON,WED-THU', [1, 3, 4]],
    ['lower case and full names', 'tuesday,fri', [2, 5]],
  ])('%s', (_name, days, expected) => {
    expect(parseScheduleSpec([`9-17 ${days}`]).entries[0]?.days).toEqual(expected);
  });

  it('without days means every day', () => {
    expect(parseScheduleSpec(['9-17']).entries[0]?.days).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it.each([
    ['', /the entry is empty/],
    ['25 MON', /start hour 25 is past 23/],
    ['8-25 MON', /end hour 25 is past 24/],
    ['5-5 MON', /hour range 5-5 is empty/],
    ['x-5 MON', /"x" is not an hour/],
    ['17- MON', /"" is not an hour/],
    ['17-20 MOON', /"MOON" is not a day/],
    ['17-20 MON-', /"MON-" is not a day/],
    ['17-20 MON,,TUE', /empty day between commas/],
    ['17-20,,21 MON', /empty hour range between commas/],
    ['17 - 20 MON', /too many parts/],
  ])('rejects %j, naming the entry and the expected form', (entry, message) => {
    expect(() => parseScheduleSpec([entry])).toThrow(ScheduleSpecError);
    expect(() => parseScheduleSpec([entry])).toThrow(message);
    expect(() => parseScheduleSpec([entry])).toThrow(/expected "<hours> <days>"/);
    expect(() => parseScheduleSpec([entry])).toThrow(`schedule entry "${entry}"`);
  });
});

describe('isActiveAt', () => {
  it.each<[string, string[], Date, boolean]>([
    ['inside 17-20', ['17-20 SUN-TUE'], at('MON', 17), true],
    ['19:59 is inside', ['17-20 SUN-TUE'], at('TUE', 19, 59), true],
    ['end hour is exclusive', ['17-20 SUN-TUE'], at('TUE', 20), false],
    ['before the window', ['17-20 SUN-TUE'], at('SUN', 16, 59), false],
    ['day outside the range', ['17-20 SUN-TUE'], at('WED', 18), false],
    ['"20" alone runs until midnight', ['20 SAT'], at('SAT', 23, 59), true],
    ['…and not past it', ['20 SAT'], at('SUN', 0), false],
    // clearml-agent silently ignores windows starting at hour 0; here they work.
    ['hour 0 works', ['0-8 MON'], at('MON', 0), true],
    ['hour 0 window ends at 8', ['0-8 MON'], at('MON', 8), false],
    ['00 as end = midnight', ['20-00,00-08 SUN'], at('SUN', 23), true],
    ['00 as start', ['20-00,00-08 SUN'], at('SUN', 3), true],
    ['gap between them', ['20-00,00-08 SUN'], at('SUN', 12), false],
    ['wrap past midnight: 22-02 FRI still on at SAT 01:30', ['22-02 FRI'], at('SAT', 1, 30), true],
    ['wrap past midnight ends at 02', ['22-02 FRI'], at('SAT', 2), false],
    ['wrap past midnight does not start on the morning of FRI', ['22-02 FRI'], at('FRI', 1), false],
    ['SAT 23-01 wraps into SUN', ['23-01 SAT'], at('SUN', 0, 30), true],
    ['SAT-SUN range covers SUN', ['9-17 SAT-SUN'], at('SUN', 10), true],
    ['SAT-SUN range does not cover MON', ['9-17 SAT-SUN'], at('MON', 10), false],
    ['second entry applies', ['9-10 MON', '14-15 WED'], at('WED', 14, 30), true],
    ['empty schedule is never active', [], at('WED', 14), false],
  ])('%s', (_name, spec, date, expected) => {
    expect(isActiveAt(parseScheduleSpec(spec), date)).toBe(expected);
  });
});

describe('nextScheduleEdge', () => {
  it.each<[string, string[], Date, Date | null]>([
    ['opening later today', ['17-20 SUN-TUE'], at('MON', 9, 15), at('MON', 17)],
    ['closing inside a window', ['17-20 SUN-TUE'], at('MON', 18, 30), at('MON', 20)],
    ['next opening days later', ['17-20 SUN-TUE'], at('TUE', 21), at('SUN', 17)],
    ['contiguous windows across midnight are one window', ['20-00,00-08 SUN', '0-8 MON'], at('SUN', 21), at('MON', 8)],
    ['wrapping window closes next morning', ['22-02 FRI'], at('FRI', 23), at('SAT', 2)],
    ['never changes: empty', [], at('MON', 1), null],
    ['never changes: always on', ['0-00'], at('MON', 1), null],
  ])('%s', (_name, spec, now, expected) => {
    const edge = nextScheduleEdge(parseScheduleSpec(spec), now);
    const expectedAt = expected && expected.getTime() < now.getTime() ? new Date(expected.getTime() + 7 * 86_400_000) : expected;
    expect(edge).toEqual(expectedAt);
  });
});
