import { describe, expect, it } from 'vitest';
import { checkEntries, entriesToGrid, gridToEntries } from '../../src-shared/weekly-schedule.js';
import { parseScheduleSpec } from '../../src-main/engine/schedule/schedule-spec.js';

// The editor's reading of clearml's syntax must match the engine's (which decides what the
// daemon obeys), and what it writes must read back as the same week.
const examples = [
  ['17-20 SUN-TUE'],
  ['20 SAT'],
  ['22-02 FRI'],
  ['20-00,00-08 SUN'],
  ['09-18 MON-FRI', '10-14 SAT'],
  ['08-10 FRI-MON'],
  ['0-24'],
  ['7-9,17-19 mon,wed,fri'],
  ['00-00 SAT'],
];

describe('weekly schedule syntax', () => {
  it.each(examples)('%s reads as the engine reads it and writes back to the same week', (...entries) => {
    const grid = entriesToGrid(entries);
    expect(grid).toEqual(parseScheduleSpec(entries).covered);
    const written = gridToEntries(grid);
    expect(entriesToGrid(written)).toEqual(grid);
    expect(parseScheduleSpec(written).covered).toEqual(grid);
  });

  it('writes the usual short forms', () => {
    const grid = entriesToGrid(['09-18 MON', '09-18 TUE', '09-18 WED', '09-18 THU', '09-18 FRI']);
    expect(gridToEntries(grid)).toEqual(['09-18 MON-FRI']);
    expect(gridToEntries(entriesToGrid(['17-20 SUN-TUE']))).toEqual(['17-20 SUN-TUE']);
    expect(gridToEntries(entriesToGrid(['20 SAT']))).toEqual(['20-00 SAT']);
    expect(gridToEntries(entriesToGrid(['10-12 MON,WED']))).toEqual(['10-12 MON,WED']);
    expect(gridToEntries(entriesToGrid(['10-12']))).toEqual(['10-12']);
    expect(gridToEntries(entriesToGrid([]))).toEqual([]);
  });

  it.each([
    ['17-20 FUNDAY', '"FUNDAY" is not a day'],
    ['25-26 MON', 'out of range'],
    ['10-10 MON', 'is empty'],
    ['10-12 MON TUE', 'too many parts'],
    ['', 'empty'],
  ])('%j is refused, naming it', (entry, message) => {
    expect(checkEntries([entry])).toContain(message);
    expect(() => parseScheduleSpec([entry])).toThrow();
  });
});
