import { useRef, useState, type KeyboardEvent } from 'react';
import clsx from 'clsx';
import type { AgentSnapshot } from '../../src-shared/bridge.js';
import { pauseChoices, pauseUntil } from '../../src-shared/pause-choices.js';
import { WEEK_DAYS, checkEntries, emptyWeekGrid, entriesToGrid, gridToEntries, type WeekGrid } from '../../src-shared/weekly-schedule.js';
import { formatAbsolute, formatClock, formatRelative } from '../lib/format.js';
import { useAgentStore } from '../stores/agent-store.js';

type Mode = 'none' | 'uptime' | 'downtime';
const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
const HOURS = Array.from({ length: 24 }, (_, h) => h);
const DISPLAY_DAYS = [1, 2, 3, 4, 5, 6, 0];
const sourceWords: Record<AgentSnapshot['schedule']['source'], string> = {
  'queue-tag': 'queue tag',
  force: 'force switch',
  uptime: 'uptime window',
  downtime: 'downtime window',
  default: 'no schedule',
};

export function splitEntries(text: string): string[] {
  return text
    .split(/[;\n]/)
    .map((part) => part.trim())
    .filter(Boolean);
}

function initial(snapshot: AgentSnapshot): { mode: Mode; text: string } {
  const { uptime, downtime } = snapshot.schedule;
  if (uptime?.length) return { mode: 'uptime', text: uptime.join('; ') };
  if (downtime?.length) return { mode: 'downtime', text: downtime.join('; ') };
  return { mode: 'none', text: '' };
}

function WeekEditor({ grid, onChange, label }: { grid: WeekGrid; onChange: (grid: WeekGrid) => void; label: string }) {
  const [focus, setFocus] = useState<[number, number]>([0, 9]);
  const paint = useRef<boolean | null>(null);
  const cells = useRef(new Map<string, HTMLButtonElement>());
  const set = (day: number, hour: number, value: boolean) => {
    if (grid[day]![hour] === value) return;
    const next = grid.map((row) => [...row]);
    next[day]![hour] = value;
    onChange(next);
  };
  const move = (row: number, col: number) => {
    const r = (row + 7) % 7;
    const c = (col + 24) % 24;
    setFocus([r, c]);
    cells.current.get(`${r}:${c}`)?.focus();
  };
  const onKey = (event: KeyboardEvent, row: number, col: number) => {
    const day = DISPLAY_DAYS[row]!;
    const keys: Record<string, () => void> = {
      ArrowRight: () => move(row, col + 1),
      ArrowLeft: () => move(row, col - 1),
      ArrowDown: () => move(row + 1, col),
      ArrowUp: () => move(row - 1, col),
      Home: () => move(row, 0),
      End: () => move(row, 23),
      ' ': () => set(day, col, !grid[day]![col]),
      Enter: () => set(day, col, !grid[day]![col]),
    };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };
  return (
    <table className="week" aria-label={label} onMouseLeave={() => (paint.current = null)} onMouseUp={() => (paint.current = null)}>
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">Day</span>
          </th>
          {HOURS.map((h) => (
            <th key={h} scope="col" className="week-hour">
              {h % 3 === 0 ? String(h).padStart(2, '0') : <span className="visually-hidden">{h}</span>}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {DISPLAY_DAYS.map((day, row) => (
          <tr key={day}>
            <th scope="row">{WEEK_DAYS[day]}</th>
            {HOURS.map((hour) => {
              const on = grid[day]![hour]!;
              return (
                <td key={hour}>
                  <button
                    type="button"
                    ref={(element) => {
                      if (element) cells.current.set(`${row}:${hour}`, element);
                    }}
                    className={clsx('week-cell', on && 'on')}
                    aria-pressed={on}
                    aria-label={`${WEEK_DAYS[day]} ${String(hour).padStart(2, '0')}:00`}
                    tabIndex={focus[0] === row && focus[1] === hour ? 0 : -1}
                    onKeyDown={(event) => onKey(event, row, hour)}
                    onFocus={() => setFocus([row, hour])}
                    onMouseDown={(event) => {
                      event.preventDefault();
                      paint.current = !on;
                      set(day, hour, !on);
                    }}
                    onMouseEnter={() => {
                      if (paint.current !== null) set(day, hour, paint.current);
                    }}
                    onClick={(event) => {
                      // Keyboard "click" (Space/Enter) is handled in onKeyDown; mouse in onMouseDown.
                      event.preventDefault();
                    }}
                  />
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ScheduleView({ snapshot }: { snapshot: AgentSnapshot }) {
  const perform = useAgentStore((s) => s.perform);
  const busy = useAgentStore((s) => s.busy.setSchedule);
  const start = initial(snapshot);
  const [mode, setMode] = useState<Mode>(start.mode);
  const [text, setText] = useState(start.text);
  const [grid, setGrid] = useState<WeekGrid>(() => (checkEntries(splitEntries(start.text)) ? emptyWeekGrid() : entriesToGrid(splitEntries(start.text))));
  const appliedKey = JSON.stringify([snapshot.schedule.uptime, snapshot.schedule.downtime]);
  const [seenKey, setSeenKey] = useState(appliedKey);
  if (seenKey !== appliedKey) {
    const fresh = initial(snapshot);
    setSeenKey(appliedKey);
    setMode(fresh.mode);
    setText(fresh.text);
    setGrid(checkEntries(splitEntries(fresh.text)) ? emptyWeekGrid() : entriesToGrid(splitEntries(fresh.text)));
  }
  const entries = splitEntries(text);
  const problem = mode === 'none' ? null : entries.length === 0 ? 'Mark at least one hour, or choose “Always”.' : checkEntries(entries);
  const dirty = mode !== start.mode || (mode !== 'none' && text !== start.text);
  const { schedule } = snapshot;

  return (
    <section aria-labelledby="schedule-title" className="view">
      <h1 id="schedule-title">Schedule</h1>
      <article className="card decision" aria-labelledby="decision-title">
        <h2 id="decision-title">{schedule.active ? 'Pulling tasks now' : 'Not pulling tasks now'}</h2>
        <p data-testid="schedule-reason">
          Why: {schedule.reason} <span className="muted">({sourceWords[schedule.source]})</span>
        </p>
        {schedule.nextChangeAt ? (
          <p className="muted">
            Changes at <time title={formatAbsolute(schedule.nextChangeAt)}>{formatClock(schedule.nextChangeAt)}</time> ({formatRelative(schedule.nextChangeAt)})
          </p>
        ) : null}
      </article>

      <article className="card" aria-labelledby="force-title">
        <h2 id="force-title">Force on / off</h2>
        <p>
          {schedule.force
            ? `Forced ${schedule.force.value}${schedule.force.expiresAt ? ` until ${formatAbsolute(schedule.force.expiresAt)}` : ' until cleared'}.`
            : 'Not forced: the schedule below decides.'}{' '}
          <span className="muted">Stored on the server as the worker’s force property, as clearml-agent does.</span>
        </p>
        <div className="card-actions wrap">
          <button type="button" className="button" onClick={() => void perform('resume', { force: true }, 'Forced on: pulling even outside the uptime window')}>
            Force on
          </button>
          {pauseChoices.map((choice) => (
            <button key={choice.id} type="button" className="button" onClick={() => void perform('pause', { until: pauseUntil(choice.id) }, `Forced off ${lowerFirst(choice.label)}`)}>
              Force off {lowerFirst(choice.label)}
            </button>
          ))}
          {schedule.force ? (
            <button type="button" className="button" onClick={() => void perform('resume', { force: false }, 'Force cleared: the schedule decides again')}>
              Clear force
            </button>
          ) : null}
        </div>
      </article>

      <article className="card" aria-labelledby="week-title">
        <h2 id="week-title">Weekly hours</h2>
        <fieldset className="radio-row">
          <legend className="visually-hidden">Schedule kind</legend>
          {(
            [
              ['none', 'Always (no schedule)'],
              ['uptime', 'Work only in the marked hours (uptime)'],
              ['downtime', 'Stay off in the marked hours (downtime)'],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className="check">
              <input type="radio" name="schedule-mode" value={value} checked={mode === value} onChange={() => setMode(value)} />
              <span>{label}</span>
            </label>
          ))}
        </fieldset>
        {mode !== 'none' ? (
          <>
            <WeekEditor
              grid={grid}
              label={`${mode === 'uptime' ? 'Uptime' : 'Downtime'} hours: arrow keys move, Space toggles`}
              onChange={(next) => {
                setGrid(next);
                setText(gridToEntries(next).join('; '));
              }}
            />
            <label className="field">
              <span>As clearml writes it (agent.{mode}); entries separated by “;”</span>
              <input
                className="input mono"
                value={text}
                onChange={(event) => {
                  setText(event.target.value);
                  const next = splitEntries(event.target.value);
                  if (!checkEntries(next)) setGrid(entriesToGrid(next));
                }}
                aria-invalid={problem !== null}
                aria-describedby="schedule-problem"
              />
            </label>
            <p id="schedule-problem" className={problem ? 'bad' : 'visually-hidden'} role={problem ? 'alert' : undefined}>
              {problem ?? 'no problem'}
            </p>
          </>
        ) : null}
        <div className="card-actions">
          <button
            type="button"
            className="button primary"
            disabled={!dirty || problem !== null || busy}
            onClick={() =>
              void perform('setSchedule', { uptime: mode === 'uptime' ? entries : null, downtime: mode === 'downtime' ? entries : null }, mode === 'none' ? 'Schedule cleared: pulling at any hour' : `Schedule saved: ${mode} ${entries.join('; ')}`)
            }
          >
            Save schedule
          </button>
        </div>
      </article>
    </section>
  );
}
