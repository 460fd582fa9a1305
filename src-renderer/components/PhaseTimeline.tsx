import clsx from 'clsx';
import type { PhaseView } from '../../src-shared/bridge.js';
import { formatDuration } from '../lib/format.js';

function elapsed(phase: PhaseView, now: number): number | null {
  if (phase.durationMs !== null) return phase.durationMs;
  if (phase.state === 'running' && phase.startedAt !== null) return Math.max(0, now - phase.startedAt);
  return null;
}

/**
 * Where a task's time went: one bar, a segment per phase sized by its duration, and the same as
 * a list of words (state, duration, progress) for reading and for screen readers.
 */
export function PhaseTimeline({ phases, now = Date.now(), label }: { phases: readonly PhaseView[]; now?: number; label: string }) {
  const times = phases.map((phase) => elapsed(phase, now) ?? 0);
  const total = times.reduce((a, b) => a + b, 0);
  return (
    <div className="timeline">
      <div className="timeline-bar" aria-hidden="true">
        {phases.map((phase, i) =>
          times[i]! > 0 ? <span key={phase.name} className={clsx('timeline-seg', `phase-${phase.state}`)} style={{ flexGrow: total ? times[i]! / total : 1 }} title={`${phase.name}: ${formatDuration(times[i]!)}`} /> : null,
        )}
      </div>
      <ol className="timeline-list" aria-label={label}>
        {phases.map((phase, i) => (
          <li key={phase.name} className={clsx('timeline-item', `phase-${phase.state}`)}>
            <span className="phase-name">{phase.name}</span>
            <span className="phase-state">{phase.state === 'done' ? '' : phase.state}</span>
            <span className="phase-time">{phase.state === 'pending' || phase.state === 'skipped' ? '' : formatDuration(times[i] ?? null)}</span>
            {phase.progress ? (
              <span className="phase-progress">
                {phase.progress.fraction !== null ? <progress max={1} value={phase.progress.fraction} aria-label={`${phase.name} progress`} /> : null}
                <span>
                  {phase.progress.fraction !== null ? `${Math.round(phase.progress.fraction * 100)} % — ` : ''}
                  {phase.progress.label}
                </span>
              </span>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}
