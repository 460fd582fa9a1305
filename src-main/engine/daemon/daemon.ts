import { setTimeout as sleep } from 'node:timers/promises';
import type { DaemonApi, QueueRef, RuntimeForce, StatusReport } from './daemon-api.js';
import type { SlotPolicy, TaskSlot } from './slots.js';
import { orderQueuesForPull } from './queue-order.js';
import type { RunHandle, RunningRegistry } from './running-registry.js';
import type { TaskRunResult } from '../task-run/run-task.js';
import type { StopReason } from '../task-run/stop-reason.js';

/** Per-queue decision of the schedule gates (queue tag > runtime force > uptime/downtime). */
export interface QueueGateDecision {
  readonly active: boolean;
  readonly reason: string;
  /** Which rule decided (queue tag, force, uptime, ...): a pause is "the same pause" while it holds. */
  readonly source?: string;
}

/** Longest wait for a bookkeeping call (status report, unregister) while a task ends or the daemon stops. */
export const SERVER_CALL_DEADLINE_MS = 5_000;

/** Waits for `work` at most `ms`; failures and late answers are ignored (bookkeeping only). */
export async function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export type DaemonLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface DaemonLoopOptions {
  readonly workerId: string;
  readonly queues: readonly QueueRef[];
  readonly orderFairness: boolean;
  readonly pollingIntervalMs: number;
  readonly api: DaemonApi;
  readonly slots: SlotPolicy;
  readonly registry: RunningRegistry;
  /** Gates for each queue at `now`, given its tags and the worker's runtime `force` property. */
  readonly gate: (queue: QueueRef, tags: readonly string[], force: RuntimeForce | null, now: Date) => QueueGateDecision;
  /** Next time a schedule window opens or closes, so sleeps and long-polls end there. */
  readonly nextScheduleEdge: (now: Date) => Date | null;
  /** Runs one task to its end in `slot` (the task-run pipeline); `onHandle` names what it started. */
  readonly runTask: (taskId: string, slot: TaskSlot, stop: { signal: AbortSignal; reason: () => StopReason }, onHandle: (handle: RunHandle) => void) => Promise<TaskRunResult>;
  /** Start time of this daemon's process, recorded with each registry entry. */
  readonly daemonStartTicks?: number | null;
  /** A task ended (for the agent host's recent-tasks list). */
  readonly onTaskFinished?: (taskId: string, result: TaskRunResult | null, error: unknown) => void;
  readonly log: (level: DaemonLogLevel, text: string) => void;
  readonly now?: () => Date;
  /** Called at the start of each pass (agent.reload_config re-reads the file here). */
  readonly beforePass?: () => Promise<void>;
  /** A machine-wide gate checked before each pull (agent.skip_busy_gpus). */
  readonly machineGate?: () => Promise<{ active: boolean; reason: string }>;
}

export type DaemonState =
  | { kind: 'starting' }
  | { kind: 'idle'; reason: string }
  | { kind: 'paused'; reason: string }
  | { kind: 'running'; taskIds: string[] }
  | { kind: 'draining'; taskIds: string[] }
  | { kind: 'stopping'; taskIds: string[] }
  | { kind: 'stopped' };

interface RunningTask {
  pgid: number | null;
  readonly taskId: string;
  readonly queueId: string;
  readonly queueName: string;
  readonly slot: TaskSlot;
  readonly stop: AbortController;
  stopReason: StopReason;
  readonly startedAt: number;
  readonly done: Promise<void>;
}

/** A running task as the agent host shows it. */
export interface RunningTaskInfo {
  readonly taskId: string;
  readonly queueName: string;
  readonly workerId: string;
  readonly gpuEnv: Record<string, string | undefined>;
  readonly startedAt: number;
  /** Set once a stop was asked for. */
  readonly stopping: StopReason | null;
}

/**
 * The daemon's pull loop (reference §3.3): evaluate the gates, pull from the allowed queues in
 * priority (or fairness) order — long-polling when the server offers it — and run what it
 * gets in a free slot. `drain()` finishes running tasks and pulls nothing new; `stop()` stops
 * running tasks (SIGTERM, grace, SIGKILL; marked stopped "agent shutdown").
 */
export class DaemonLoop {
  readonly #options: DaemonLoopOptions;
  readonly #running = new Map<string, RunningTask>();
  #pullAbort: AbortController | null = null;
  #sleepAbort: AbortController | null = null;
  #mode: 'run' | 'drain' | 'stop' = 'run';
  #state: DaemonState = { kind: 'starting' };
  #lastServedIndex: number | null = null;
  #taskFinished: (() => void) | null = null;
  /** Why the last pass did not pull, so a pause and a resume are each said once. */
  #pausedReason: string | null = null;
  #pausedKey: string | null = null;

  constructor(options: DaemonLoopOptions) {
    this.#options = options;
  }

  get state(): DaemonState {
    return this.#state;
  }

  get runningTaskIds(): string[] {
    return [...this.#running.keys()];
  }

  get runningTasks(): RunningTaskInfo[] {
    return [...this.#running.values()].map((t) => ({
      taskId: t.taskId,
      queueName: t.queueName,
      workerId: t.slot.workerId,
      gpuEnv: t.slot.gpuEnv,
      startedAt: t.startedAt,
      stopping: t.stop.signal.aborted ? t.stopReason : null,
    }));
  }

  get mode(): 'run' | 'drain' | 'stop' {
    return this.#mode;
  }

  /** Stops one running task (ends as stopped with `reason`); false when it is not running here. */
  stopTask(taskId: string, reason: StopReason): boolean {
    const task = this.#running.get(taskId);
    if (!task) return false;
    task.stopReason = reason;
    task.stop.abort();
    return true;
  }

  /** Takes a drain back: pulling resumes. */
  undrain(): void {
    if (this.#mode !== 'drain') return;
    this.#mode = 'run';
    this.#options.log('info', 'Drain cancelled: pulling tasks again');
  }

  /** Process groups of the running tasks (their leaders' pids), known once they started. */
  get runningProcessGroups(): ReadonlySet<number> {
    return new Set([...this.#running.values()].map((t) => t.pgid).filter((p): p is number => p !== null));
  }

  /** Finish what runs, pull nothing new, then return from `run()`. */
  drain(): void {
    if (this.#mode !== 'run') return;
    this.#mode = 'drain';
    this.#options.log('info', `Draining: ${this.#running.size} running task(s) will finish; no new task will be pulled`);
    this.#interrupt();
  }

  /** Stop running tasks (SIGTERM + grace) and return from `run()`. */
  stop(): void {
    if (this.#mode === 'stop') return;
    this.#mode = 'stop';
    this.#options.log('info', `Stopping: aborting ${this.#running.size} running task(s)`);
    for (const task of this.#running.values()) task.stop.abort();
    this.#interrupt();
  }

  /** Status reports for this moment: the daemon's worker plus each slot worker of its own. */
  currentReports(machineStats: Record<string, unknown> | null): StatusReport[] {
    const queueIds = this.#options.queues.map((q) => q.id);
    const running = [...this.#running.values()];
    const own = running.find((t) => t.slot.workerId === this.#options.workerId);
    const reports: StatusReport[] = [{ workerId: this.#options.workerId, queueIds, machineStats, ...(own ? { taskId: own.taskId, queueId: own.queueId } : {}) }];
    for (const task of running) {
      if (task.slot.workerId !== this.#options.workerId) reports.push({ workerId: task.slot.workerId, queueIds, machineStats: null, taskId: task.taskId, queueId: task.queueId });
    }
    return reports;
  }

  /** Wakes a sleeping pass now (schedule edge, config change, UI action). */
  poke(): void {
    this.#sleepAbort?.abort();
  }

  /** Ends a sleep or a long-poll now, so the next pass re-reads its gates (a preference changed). */
  repoll(): void {
    this.#pullAbort?.abort();
    this.#sleepAbort?.abort();
  }

  #interrupt(): void {
    this.#pullAbort?.abort();
    this.#sleepAbort?.abort();
    this.#taskFinished?.();
  }

  async run(): Promise<void> {
    const { log } = this.#options;
    while (this.#mode === 'run') {
      try {
        await this.#pass();
      } catch (error) {
        // One failed pass (server hiccup) must not end the daemon: log and go on after a pause.
        log('error', `Daemon pass failed: ${error instanceof Error ? error.message : String(error)}`);
        await this.#sleep(this.#options.pollingIntervalMs);
      }
    }
    const ids = [...this.#running.keys()];
    this.#state = this.#mode === 'drain' ? { kind: 'draining', taskIds: ids } : { kind: 'stopping', taskIds: ids };
    // A drain taken back while the last task still runs goes back to pulling.
    while (this.#running.size > 0) {
      await Promise.race([...this.#running.values()].map((task) => task.done));
      if ((this.#mode as string) === 'run') return this.run();
    }
    this.#state = { kind: 'stopped' };
  }

  /** Says once when pulling pauses (with why) and once when it resumes. */
  #notePaused(reason: string | null, key: string | null = reason): void {
    if (key === this.#pausedKey) return;
    if (reason !== null) this.#options.log('info', `Paused, not pulling tasks: ${reason}`);
    else if (this.#pausedReason !== null) this.#options.log('info', `Resumed pulling tasks (was paused: ${this.#pausedReason})`);
    this.#pausedReason = reason;
    this.#pausedKey = key;
  }

  async #pass(): Promise<void> {
    const options = this.#options;
    await options.beforePass?.();
    const now = options.now?.() ?? new Date();
    const pullable = new Set(options.slots.pullableQueueIndexes(this.#running.size));
    if (pullable.size === 0) {
      this.#state = { kind: 'running', taskIds: this.runningTaskIds };
      await this.#waitForTaskEnd();
      return;
    }
    if (options.machineGate && this.#running.size === 0) {
      const machine = await options.machineGate();
      if (!machine.active) {
        this.#state = { kind: 'paused', reason: machine.reason };
        this.#notePaused(machine.reason, 'machine gate');
        await this.#sleep(this.#sleepMs(now));
        return;
      }
    }
    const tags = await options.api.queueTags(options.queues.map((q) => q.id));
    const forceProperty = await options.api.runtimeForce(options.workerId);
    const force = forceProperty === 'unsupported' ? null : forceProperty;
    const decisions = options.queues.map((queue) => ({ queue, decision: options.gate(queue, tags.get(queue.id) ?? [], force, now) }));
    const indexed = decisions.map((d, index) => ({ ...d, index })).filter((d) => d.decision.active && pullable.has(d.index));
    if (indexed.length === 0) {
      const reasons = decisions.map((d) => `${d.queue.name}: ${d.decision.reason}`).join('; ');
      if (this.#running.size === 0) this.#state = { kind: 'paused', reason: reasons };
      // Only a schedule or force gate is a pause; queues whose GPU request does not fit now are not.
      if (decisions.some((d) => !d.decision.active)) this.#notePaused(reasons, decisions.map((d) => `${d.queue.id}:${d.decision.active}:${d.decision.source ?? d.decision.reason}`).join('|'));
      await this.#sleep(this.#sleepMs(now));
      return;
    }
    this.#notePaused(null);
    const ordered = orderQueuesForPull(indexed, options.orderFairness, this.#lastServedIndex);
    if (this.#running.size === 0) this.#state = { kind: 'idle', reason: `waiting for tasks on ${ordered.map((d) => d.queue.name).join(', ')}` };
    // A stop or drain that arrived while the gates were fetched must not start a long wait.
    if (this.#mode !== 'run') return;
    const pullAbort = new AbortController();
    this.#pullAbort = pullAbort;
    const waitMs = Math.min(options.api.longPollMaxMs(), this.#untilEdgeMs(now));
    let pulled: { taskId: string; queueId: string } | null;
    try {
      pulled = await options.api.nextTask(
        ordered.map((d) => d.queue.id),
        { waitMs: Math.max(0, waitMs), workerId: options.workerId, signal: pullAbort.signal },
      );
    } catch (error) {
      // Our own abort (stop, drain, a repoll after a pause or a schedule change) ends the wait;
      // it is not a failed pass.
      if (this.#mode !== 'run' || pullAbort.signal.aborted) return;
      throw error;
    } finally {
      this.#pullAbort = null;
    }
    if (!pulled) {
      if (this.#mode !== 'run') return;
      // Without long-poll the server answered at once: wait the polling interval.
      if (waitMs <= 0) await this.#sleep(this.#sleepMs(now));
      return;
    }
    const served = ordered.find((d) => d.queue.id === pulled.queueId) ?? ordered[0]!;
    this.#lastServedIndex = served.index;
    await this.#launch(pulled.taskId, served.queue, served.index);
  }

  async #launch(taskId: string, queue: QueueRef, queueIndex: number): Promise<void> {
    const options = this.#options;
    const slot = options.slots.acquire(queueIndex, taskId);
    if (!slot) {
      options.log('error', `No free slot for task ${taskId} pulled from ${queue.name}; marking it failed`);
      await options.api.markFailed(taskId, 'no free GPU slot on the worker that pulled it', `Changed by Tray Agent ${options.workerId}`);
      return;
    }
    await options.api.markPulled(taskId, slot.workerId, queue.name).catch((error: unknown) => {
      options.log('warn', `Could not mark task ${taskId} as pulled: ${String(error)}`);
    });
    await options.api.statusReport({ workerId: slot.workerId, queueIds: options.queues.map((q) => q.id), taskId, queueId: queue.id }).catch(() => undefined);
    options.log('info', `Task ${taskId} pulled from ${queue.name} by worker ${slot.workerId}`);
    const stop = new AbortController();
    await options.registry.set({ taskId, workerId: slot.workerId, handle: null, daemonPid: process.pid, daemonStartTicks: options.daemonStartTicks ?? null, startedAt: new Date().toISOString() });
    const reasonOf = (): StopReason => this.#running.get(taskId)?.stopReason ?? { kind: 'shutdown' };
    const done = options
      .runTask(taskId, slot, { signal: stop.signal, reason: reasonOf }, (handle) => {
        const running = this.#running.get(taskId);
        if (running && handle.kind === 'process-group') running.pgid = handle.pgid;
        void options.registry.setHandle(taskId, handle);
      })
      .then(
        (result) => {
          options.log('info', `Task ${taskId} finished: ${result.finalStatus.call} (${result.finalStatus.statusReason})`);
          options.onTaskFinished?.(taskId, result, null);
        },
        (error: unknown) => {
          options.log('error', `Task ${taskId} could not run: ${error instanceof Error ? error.message : String(error)}`);
          options.onTaskFinished?.(taskId, null, error);
        },
      )
      .finally(async () => {
        slot.release();
        this.#running.delete(taskId);
        await options.registry.delete(taskId);
        // Bounded: with the server down these calls would retry for minutes and hold up a stop.
        if (slot.workerId !== options.workerId) {
          // A per-task worker (services mode, a dynamic GPU slot) ends with its task: no phantom workers.
          await withDeadline(options.api.unregister(slot.workerId), SERVER_CALL_DEADLINE_MS);
        } else {
          await withDeadline(options.api.statusReport({ workerId: slot.workerId, queueIds: options.queues.map((q) => q.id) }), SERVER_CALL_DEADLINE_MS);
        }
        this.#taskFinished?.();
      });
    this.#running.set(taskId, { taskId, queueId: queue.id, queueName: queue.name, slot, stop, stopReason: { kind: 'shutdown' }, startedAt: Date.now(), done, pgid: null });
    if (this.#mode === 'stop') stop.abort();
    this.#state = { kind: 'running', taskIds: this.runningTaskIds };
  }

  #untilEdgeMs(now: Date): number {
    const edge = this.#options.nextScheduleEdge(now);
    return edge ? Math.max(0, edge.getTime() - now.getTime()) : Number.POSITIVE_INFINITY;
  }

  #sleepMs(now: Date): number {
    return Math.max(1, Math.min(this.#options.pollingIntervalMs, this.#untilEdgeMs(now)));
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#mode !== 'run') return;
    this.#sleepAbort = new AbortController();
    try {
      await sleep(ms, undefined, { signal: this.#sleepAbort.signal });
    } catch {
      // woken early
    } finally {
      this.#sleepAbort = null;
    }
  }

  #waitForTaskEnd(): Promise<void> {
    return new Promise((resolve) => {
      this.#taskFinished = () => {
        this.#taskFinished = null;
        resolve();
      };
    });
  }
}
