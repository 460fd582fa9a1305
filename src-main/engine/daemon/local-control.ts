// `daemon --stop [--drain]`: which local daemons the user means, and stopping exactly those.
import { setTimeout as sleep } from 'node:timers/promises';
import { listLocalWorkers, type LocalWorkerEntry } from '../worker-identity/index.js';
import { isProcessAlive } from '../process/index.js';
import { sendControlRequest } from './control-channel.js';

/** Signal that asks a daemon process to drain: finish running tasks, pull nothing new, exit. */
export const drainSignal: NodeJS.Signals = 'SIGUSR2';
/** Signal that asks a daemon process to stop now: running tasks are stopped within their grace. */
export const stopSignal: NodeJS.Signals = 'SIGTERM';

export type StopSelection =
  | { readonly kind: 'targets'; readonly targets: LocalWorkerEntry[] }
  | { readonly kind: 'none' }
  | { readonly kind: 'ambiguous'; readonly candidates: LocalWorkerEntry[] };

const sameQueues = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((q, i) => q === b[i]);

/**
 * Which local daemons `daemon --stop` means: the explicit worker ids when given; else every
 * daemon started with the same identity (worker id with its slot left open) and, when --queue
 * was given, the same queues. More than one: ambiguous — the caller stops none and lists them.
 */
export function pickDaemonsToStop(live: readonly LocalWorkerEntry[], request: { explicitIds: readonly string[]; matchKey: string; queues: readonly string[] }): StopSelection {
  if (request.explicitIds.length > 0) {
    const targets = live.filter((e) => request.explicitIds.includes(e.workerId));
    return targets.length > 0 ? { kind: 'targets', targets } : { kind: 'none' };
  }
  const matching = live.filter((e) => {
    const identityMatches = e.matchKey !== null ? e.matchKey === request.matchKey : e.workerId === request.matchKey;
    return identityMatches && (request.queues.length === 0 || sameQueues(e.queues, request.queues));
  });
  if (matching.length === 0) return { kind: 'none' };
  if (matching.length > 1) return { kind: 'ambiguous', candidates: matching };
  return { kind: 'targets', targets: matching };
}

export interface StopOutcome {
  readonly workerId: string;
  readonly pid: number;
  readonly result: 'exited' | 'killed' | 'draining' | 'still-running';
  readonly detail?: string;
}

async function gone(entry: LocalWorkerEntry, stateDir: string): Promise<boolean> {
  if (!(await isProcessAlive(entry.pid, entry.startTicks))) return true;
  // A daemon inside a process that lives on (tray, `up`) is gone once its pid file is.
  return !(await listLocalWorkers(stateDir)).some((e) => e.file === entry.file);
}

/**
 * Stops (or drains) the chosen daemons. Through the hosting process's control socket when it
 * has one — that stops this daemon only, never an embedded server or other daemons the process
 * hosts; by signal otherwise. Stop waits for each to go (it stops its tasks within their grace);
 * a process that hosts nothing else and outlives `waitMs` is SIGKILLed. A drain only asks.
 */
export async function stopLocalDaemons(
  targets: readonly LocalWorkerEntry[],
  options: { drain: boolean; waitMs: number; stateDir: string },
): Promise<StopOutcome[]> {
  const outcomes: StopOutcome[] = [];
  for (const target of targets) {
    let asked = false;
    if (target.controlSocket) {
      try {
        const reply = await sendControlRequest(target.controlSocket, { op: options.drain ? 'drain' : 'stop', workerId: target.workerId });
        if (!reply.ok) throw new Error(reply.error);
        asked = true;
      } catch (error) {
        if (target.sharedWith.length > 0) {
          outcomes.push({ workerId: target.workerId, pid: target.pid, result: 'still-running', detail: `its process also hosts ${target.sharedWith.join(', ')} and did not answer (${String(error)}); stop it there` });
          continue;
        }
      }
    }
    if (!asked) process.kill(target.pid, options.drain ? drainSignal : stopSignal);
    if (options.drain) {
      outcomes.push({ workerId: target.workerId, pid: target.pid, result: 'draining' });
      continue;
    }
    const deadline = Date.now() + options.waitMs;
    while (Date.now() < deadline && !(await gone(target, options.stateDir))) await sleep(100);
    if (await gone(target, options.stateDir)) {
      outcomes.push({ workerId: target.workerId, pid: target.pid, result: 'exited' });
    } else if (target.sharedWith.length === 0) {
      process.kill(target.pid, 'SIGKILL');
      outcomes.push({ workerId: target.workerId, pid: target.pid, result: 'killed' });
    } else {
      outcomes.push({ workerId: target.workerId, pid: target.pid, result: 'still-running', detail: `still stopping after ${Math.round(options.waitMs / 1000)} s` });
    }
  }
  return outcomes;
}

export { listLocalWorkers };
