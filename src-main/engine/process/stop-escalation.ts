// How anything we started is stopped: SIGINT first (Python runs its `finally` blocks on
// KeyboardInterrupt, and the ClearML SDK ignores SIGTERM), then SIGTERM, then SIGKILL — all
// within one grace period. The same order is used inside containers (see engine/docker).
import { setTimeout as sleep } from 'node:timers/promises';
import { processGroupAlive } from './liveness.js';

export type StopSignalName = 'SIGINT' | 'SIGTERM' | 'SIGKILL';

export interface StopOutcome {
  /** Signals sent, in order. */
  readonly sent: readonly StopSignalName[];
  /** SIGKILL was needed. */
  readonly killed: boolean;
}

/** When each signal goes out, as offsets from the start of the stop (ms). */
export function escalationSchedule(graceMs: number): ReadonlyArray<{ signal: StopSignalName; atMs: number }> {
  const grace = Math.max(0, graceMs);
  // Half the grace for SIGINT to work, the other half for SIGTERM, then SIGKILL.
  return [
    { signal: 'SIGINT', atMs: 0 },
    { signal: 'SIGTERM', atMs: Math.floor(grace / 2) },
    { signal: 'SIGKILL', atMs: grace },
  ];
}

/**
 * Runs the escalation against any target: `send` delivers a signal, `alive` says whether the
 * target is still there. Used for process groups here and for containers in docker mode.
 */
export async function escalateStop(
  target: { send(signal: StopSignalName): Promise<void> | void; alive(): Promise<boolean> },
  graceMs: number,
  options: { onSignal?: (signal: StopSignalName) => void; pollMs?: number } = {},
): Promise<StopOutcome> {
  const sent: StopSignalName[] = [];
  if (!(await target.alive())) return { sent, killed: false };
  const started = Date.now();
  const pollMs = options.pollMs ?? 20;
  for (const step of escalationSchedule(graceMs)) {
    while (Date.now() - started < step.atMs) {
      if (!(await target.alive())) return { sent, killed: false };
      await sleep(Math.min(pollMs, Math.max(1, step.atMs - (Date.now() - started))));
    }
    if (!(await target.alive())) return { sent, killed: false };
    options.onSignal?.(step.signal);
    sent.push(step.signal);
    await target.send(step.signal);
  }
  // After SIGKILL: wait (bounded) until the kernel has taken everything down.
  const killDeadline = Date.now() + 5_000;
  while ((await target.alive()) && Date.now() < killDeadline) await sleep(10);
  return { sent, killed: true };
}

function signalGroup(pgid: number, signal: StopSignalName): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The escalation for a whole process group (every descendant of a task, pip, git ...). */
export function stopProcessGroup(pgid: number, graceMs: number, options: { onSignal?: (signal: StopSignalName) => void } = {}): Promise<StopOutcome> {
  return escalateStop({ send: (signal) => signalGroup(pgid, signal), alive: () => processGroupAlive(pgid) }, graceMs, options);
}
