import { setTimeout as sleep } from 'node:timers/promises';
import type { DaemonApi, QueueRef, RuntimeForce, StatusReport } from './daemon-api.js';
import type { SlotPolicy, TaskSlot } from './slots.js';
import { orderQueuesForPull } from './queue-order.js';
import type { RunningRegistry } from './running-registry.js';
import type { TaskRunResult } from '../task-run/run-task.js';
import { processStartTicks } from '../task-run/process-group.js';
import type { StopReason } from '../task-run/stop-reason.js';

/** Per-queue decision of the schedule gates (queue tag > runtime force > uptime/downtime). */
export interface QueueGateDecision {
  readonly active: boolean;
  readonly reason: string;
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
  /** Runs one task to its end in `slot` (the task-run pipeline). */
  readonly runTask: (taskId: string, slot: TaskSlot, stop: { signal: AbortSignal; reason: () => StopReason }, onPid: (pid: number) => void) => Promise<TaskRunResult>;
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
  readonly slot: TaskSlot;
  readonly stop: AbortController;
  readonly done: Promise<void>;
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

  constructor(options: DaemonLoopOptions) {
    this.#options = options;
  }

  get state(): DaemonState {
    return this.#state;
  }

  get runningTaskIds(): string[] {
    return [...this.#running.keys()];
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
    await Promise.all([...this.#running.values()].map((task) => task.done));
    this.#state = { kind: 'stopped' };
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
      await this.#sleep(this.#sleepMs(now));
      return;
    }
    const ordered = orderQueuesForPull(indexed, options.orderFairness, this.#lastServedIndex);
    if (this.#running.size === 0) this.#state = { kind: 'idle', reason: `waiting for tasks on ${ordered.map((d) => d.queue.name).join(', ')}` };
    // A stop or drain that arrived while the gates were fetched must not start a long wait.
    if (this.#mode !== 'run') return;
    this.#pullAbort = new AbortController();
    const waitMs = Math.min(options.api.longPollMaxMs(), this.#untilEdgeMs(now));
    let pulled: { taskId: string; queueId: string } | null;
    try {
      pulled = await options.api.nextTask(
        ordered.map((d) => d.queue.id),
        { waitMs: Math.max(0, waitMs), workerId: options.workerId, signal: this.#pullAbort.signal },
      );
    } catch (error) {
      if (this.#mode !== 'run') return;
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
    await options.registry.set({ taskId, workerId: slot.workerId, pgid: null, daemonPid: process.pid, startedAt: new Date().toISOString() });
    const done = options
      .runTask(taskId, slot, { signal: stop.signal, reason: () => ({ kind: 'shutdown' }) }, (pid) => {
        const running = this.#running.get(taskId);
        if (running) running.pgid = pid;
        void options.registry.set({ taskId, workerId: slot.workerId, pgid: pid, pgidStartTicks: processStartTicks(pid), daemonPid: process.pid, startedAt: new Date().toISOString() });
      })
      .then(
        (result) => options.log('info', `Task ${taskId} finished: ${result.finalStatus.call} (${result.finalStatus.statusReason})`),
        (error: unknown) => options.log('error', `Task ${taskId} could not run: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(async () => {
        slot.release();
        this.#running.delete(taskId);
        await options.registry.delete(taskId);
        // Not awaited: with the server down it would hold the slot (and a stop) for the client's retries.
        void options.api.statusReport({ workerId: slot.workerId, queueIds: options.queues.map((q) => q.id) }).catch(() => undefined);
        this.#taskFinished?.();
      });
    this.#running.set(taskId, { taskId, queueId: queue.id, slot, stop, done, pgid: null });
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
