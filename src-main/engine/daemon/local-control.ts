import { setTimeout as sleep } from 'node:timers/promises';
import { listLocalWorkers, type LocalWorkerEntry } from '../worker-identity/index.js';
import { isProcessAlive } from '../process/index.js';

/** Signal that asks a daemon to drain: finish running tasks, pull nothing new, exit. */
export const drainSignal: NodeJS.Signals = 'SIGUSR2';
/** Signal that asks a daemon to stop now: running tasks get SIGTERM, the grace, then SIGKILL. */
export const stopSignal: NodeJS.Signals = 'SIGTERM';

/**
 * Which local daemons `daemon --stop` means (reference §3.10): explicit worker ids when given;
 * else the daemon with exactly the worker id these flags form; else the first whose id starts
 * with `<name>:` (clearml-agent's fallback).
 */
export function pickDaemonsToStop(live: readonly LocalWorkerEntry[], request: { explicitIds: readonly string[]; expectedId: string | null; namePrefix: string }): LocalWorkerEntry[] {
  if (request.explicitIds.length > 0) return live.filter((e) => request.explicitIds.includes(e.workerId));
  const exact = request.expectedId ? live.filter((e) => e.workerId === request.expectedId) : [];
  if (exact.length > 0) return exact;
  const byName = live.find((e) => e.workerId.startsWith(`${request.namePrefix}:`));
  return byName ? [byName] : [];
}

export interface StopOutcome {
  readonly workerId: string;
  readonly pid: number;
  readonly result: 'exited' | 'killed' | 'draining';
}

/**
 * Signals the chosen daemons. Stop waits for each to exit (it stops its tasks first, within
 * their grace) and SIGKILLs one that outlives `waitMs`; drain only asks and returns, because a
 * drain lasts as long as the running tasks do.
 */
export async function signalLocalDaemons(targets: readonly LocalWorkerEntry[], options: { drain: boolean; waitMs: number }): Promise<StopOutcome[]> {
  const outcomes: StopOutcome[] = [];
  for (const target of targets) {
    process.kill(target.pid, options.drain ? drainSignal : stopSignal);
    if (options.drain) {
      outcomes.push({ workerId: target.workerId, pid: target.pid, result: 'draining' });
      continue;
    }
    const deadline = Date.now() + options.waitMs;
    while (Date.now() < deadline && (await isProcessAlive(target.pid, target.startTicks))) await sleep(100);
    if (await isProcessAlive(target.pid, target.startTicks)) {
      process.kill(target.pid, 'SIGKILL');
      outcomes.push({ workerId: target.workerId, pid: target.pid, result: 'killed' });
    } else {
      outcomes.push({ workerId: target.workerId, pid: target.pid, result: 'exited' });
    }
  }
  return outcomes;
}

export { listLocalWorkers };
