import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CleanupStack } from './cleanup-stack.js';
import { watchForAbort } from './abort-watcher.js';
import { decideFinalStatus, type FinalStatus, type RunEnding } from './final-status.js';
import { TaskSetupError, type AgentLogLevel, type TaskPhase, type TaskRunContext, type TaskRunEvent } from './context.js';
import type { StopReason } from './stop-reason.js';
import type { TaskRunApi } from './task-run-api.js';
import type { TaskRunSettings } from './settings.js';
import { startPhase, TaskNotRunnableError } from './phases/start.js';
import { workspacePhase } from './phases/workspace.js';
import { venvExecutor, type TaskExecutor } from './executor.js';
import { withoutMonitoring } from './monitoring.js';
import { createOutputTee, type TeeLine } from './output-tee.js';
import { createRedactor, openTaskOutbox, type OutboxShipper, type PendingFinalStatus, type TaskOutbox } from '../logs/index.js';

/** How long a run's end waits for the server to take the log tail and the status; then the task outbox keeps them. */
const LOG_TAIL_WAIT_MS = 30_000;
/** The same when the agent is stopping (daemon --stop, Ctrl+C): it must not hang on a server that is down. */
const LOG_TAIL_WAIT_ON_SHUTDOWN_MS = 5_000;

export interface RunTaskOptions {
  readonly taskId: string;
  readonly workerId: string;
  readonly api: TaskRunApi;
  readonly settings: TaskRunSettings;
  /** false = clearml-agent's --disable-monitoring: the run writes nothing to the server (monitoring.ts). */
  readonly monitoring?: boolean;
  /** Runs the phases after the workspace (default: venv). */
  readonly executor?: TaskExecutor;
  readonly requireQueue?: boolean;
  /**
   * The task was already taken from its queue by this agent (the daemon): it is ours from the
   * first moment, so even a stop before the start phase ends it with a status (never left
   * in_progress). `execute --id` leaves this false: a task it never started is not touched.
   */
  readonly pulled?: boolean;
  /** Aborting it stops the run with this reason (the daemon passes 'shutdown'). */
  readonly externalStop?: { signal: AbortSignal; reason: () => StopReason };
  /** Echo of everything shipped (task output and agent lines), redacted, e.g. to the terminal. */
  readonly echo?: (text: string) => void;
  /** The same as whole lines, redacted, for a live view (the agent host). */
  readonly onLogLines?: (lines: TeeLine[]) => void;
  readonly onEvent?: (event: TaskRunEvent) => void;
  /**
   * The machine's task outbox (logs/outbox.ts), opened by the daemon or `execute` with a
   * fail-fast server link and drained in the background. Without one the run opens a private
   * outbox over `api` and closes it at the end (what it could not deliver stays on disk).
   */
  readonly outbox?: TaskOutbox;
}

export interface TaskRunResult {
  readonly taskId: string;
  readonly finalStatus: FinalStatus;
  readonly ending: RunEnding;
  /** The task process's exit code when it ran to its end; null otherwise. */
  readonly exitCode: number | null;
  readonly timingsMs: Readonly<Record<string, number>>;
  readonly logsPending: number;
}

/**
 * One task's whole path (DESIGN.md "A task's path"): start → workspace → environment → launch →
 * run, then finish. An abort is watched from the moment the task is started, so it also stops
 * a clone or a pip install in progress. Cleanups always run; the log is flushed last.
 */
export async function runTask(options: RunTaskOptions): Promise<TaskRunResult> {
  const { settings, taskId, workerId } = options;
  const api = options.monitoring === false ? withoutMonitoring(options.api) : options.api;
  const shipsLog = api.reportsToServer !== false;
  const executor = options.executor ?? venvExecutor;
  await mkdir(settings.workRoot, { recursive: true, mode: 0o700 });
  const taskDir = await mkdtemp(join(settings.workRoot, `task-${taskId.slice(0, 12)}-`));
  const cleanups = new CleanupStack();
  cleanups.push('task folder', () => rm(taskDir, { recursive: true, force: true }));

  // The log goes to the task only once the task is known to exist and be ours (after the start
  // phase): a bad id must not leave a spool of lines no server will ever accept.
  let shipper: OutboxShipper | null = null;
  let privateOutbox: TaskOutbox | null = null;
  const taskOutbox = (): TaskOutbox =>
    options.outbox ??
    (privateOutbox ??= openTaskOutbox({ spoolDir: settings.spoolDir, serverUrl: apiServerOf(settings), server: api, workerId }));
  const earlyLines: Array<[AgentLogLevel, string]> = [];
  const redactor = createRedactor({ secrets: [...settings.secrets], env: settings.baseEnv as NodeJS.ProcessEnv });
  const openTaskLog = (): void => {
    if (!shipsLog || shipper) return;
    shipper = taskOutbox().openShipper({
      taskId,
      workerId,
      redactor,
      suppressCarriageReturn: settings.suppressCarriageReturn,
    });
    for (const [level, text] of earlyLines.splice(0)) shipper.agentLine(level, text);
  };
  if (options.pulled) openTaskLog();
  const tee = options.echo || options.onLogLines ? createOutputTee({ redactor, echo: options.echo, onLines: options.onLogLines }) : null;
  const log = (level: AgentLogLevel, text: string): void => {
    if (shipper) shipper.agentLine(level, text);
    else if (shipsLog) earlyLines.push([level, text]);
    tee?.agentLine(level, text);
  };
  const emit = (event: TaskRunEvent): void => options.onEvent?.(event);
  // One controller ends whatever phase is running when a stop arrives.
  const stopState: { reason?: StopReason } = {};
  const ctxRef: { current: TaskRunContext | null } = { current: null };
  const setupAbort = new AbortController();
  let resolveStop!: (reason: StopReason) => void;
  const stopRequested = new Promise<StopReason>((resolve) => (resolveStop = resolve));
  const requestStop = (reason: StopReason): void => {
    if (stopState.reason) return;
    stopState.reason = reason;
    if (ctxRef.current) ctxRef.current.stopReason = reason;
    resolveStop(reason);
    setupAbort.abort(reason);
  };
  const onExternalStop = (): void => requestStop(options.externalStop!.reason());
  if (options.externalStop) {
    if (options.externalStop.signal.aborted) onExternalStop();
    else options.externalStop.signal.addEventListener('abort', onExternalStop, { once: true });
  }

  const ctx: TaskRunContext = {
    taskId,
    workerId,
    api,
    settings,
    cleanups,
    log,
    emit,
    taskDir,
    timings: {},
    output: {
      stdout(chunk) {
        shipper?.writeStdout(chunk);
        tee?.stdout(chunk);
      },
      stderr(chunk) {
        shipper?.writeStderr(chunk);
        tee?.stderr(chunk);
      },
    },
    stopRequested,
  };
  ctxRef.current = ctx;
  if (stopState.reason) ctx.stopReason = stopState.reason;

  let watcher: ReturnType<typeof watchForAbort> | null = null;
  const onStarted = (): void => {
    if (!shipsLog) return;
    openTaskLog();
    watcher = watchForAbort({
      taskId,
      intervalMs: settings.abortPollIntervalMs,
      getTaskStatus: (id) => api.getTaskStatus(id),
      onResetSuspected: (streak) => log('WARNING', `Task status is "created" (reset?) — poll ${streak}`),
    });
    void watcher.stopRequested.then(requestStop);
  };
  const phases: TaskPhase[] = [startPhase({ requireQueue: options.requireQueue ?? false, onStarted }), workspacePhase(), ...executor.phases({ stopRequested })];

  let notRunnable: TaskNotRunnableError | null = null;
  try {
    for (const phase of phases) {
      if (ctx.stopReason) break;
      const started = performance.now();
      emit({ type: 'phase-started', taskId, phase: phase.name });
      await phase.run(ctx, setupAbort.signal);
      const durationMs = performance.now() - started;
      ctx.timings[phase.name] = durationMs;
      emit({ type: 'phase-finished', taskId, phase: phase.name, durationMs });
    }
    if (!ctx.ending && ctx.stopReason) ctx.ending = { kind: 'stopped', reason: ctx.stopReason };
  } catch (error) {
    if (error instanceof TaskNotRunnableError) notRunnable = error;
    else if (ctx.stopReason) ctx.ending = { kind: 'stopped', reason: ctx.stopReason };
    else if (error instanceof TaskSetupError) ctx.ending = { kind: 'setup-failed', reason: error.statusReason, detail: error.message };
    else {
      const message = error instanceof Error ? error.message : String(error);
      ctx.ending = { kind: 'setup-failed', reason: 'agent error', detail: message };
    }
  } finally {
    (watcher as ReturnType<typeof watchForAbort> | null)?.close();
    options.externalStop?.signal.removeEventListener('abort', onExternalStop);
  }

  if (notRunnable || (!ctx.task && !options.pulled)) {
    // The task is not ours to report on (missing, not queued): nothing goes to the server.
    await cleanups.runAll();
    await (shipper as OutboxShipper | null)?.finish({ status: null, waitMs: LOG_TAIL_WAIT_ON_SHUTDOWN_MS });
    await (privateOutbox as TaskOutbox | null)?.close();
    if (notRunnable) throw notRunnable;
    const detail = ctx.ending?.kind === 'setup-failed' ? ctx.ending.detail : 'the task could not be read';
    throw new TaskNotRunnableError(`task ${taskId}: ${detail}`);
  }

  // An unfinished last line of the task's output goes out before the agent's closing lines.
  tee?.end();
  const ending: RunEnding = ctx.ending ?? { kind: 'setup-failed', reason: 'agent error', detail: 'the run ended without an outcome' };
  const finalStatus = decideFinalStatus(ending);
  log(finalStatus.call === 'completed' ? 'INFO' : finalStatus.call === 'failed' ? 'ERROR' : 'WARNING', finalStatus.consoleLine);
  const timingText = Object.entries(ctx.timings)
    .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(2)} s`)
    .join(', ');
  log('INFO', `Phase timings: ${timingText}`);

  const failures = await cleanups.runAll();
  for (const failure of failures) log('WARNING', `Cleanup "${failure.name}" failed: ${String(failure.error)}`);

  // The task outbox ships every line, then reports the final status, so a follower sees the
  // whole log once it ends; when the server does not answer in time it keeps both (on disk)
  // and delivers them later, from this process or the next agent on the machine.
  const openShipper = shipper as OutboxShipper | null;
  shipper = null; // later agent lines only reach the terminal
  const stopping = options.externalStop?.signal.aborted ?? false;
  const ended = {
    status: shipsLog ? pendingFinalStatus(finalStatus, workerId, ctx.timings) : null,
    waitMs: stopping ? LOG_TAIL_WAIT_ON_SHUTDOWN_MS : LOG_TAIL_WAIT_MS,
    signal: stopping ? undefined : options.externalStop?.signal,
    handOverWhenUnreachable: stopping,
  };
  const delivery = openShipper ? await openShipper.finish(ended) : shipsLog ? await taskOutbox().finishWithoutLog(taskId, workerId, ended) : null;
  if (delivery?.statusError) log('WARNING', `Could not update task status: ${delivery.statusError}`);
  if (delivery?.note) log('WARNING', delivery.note);
  await (privateOutbox as TaskOutbox | null)?.close();
  emit({ type: 'finished', taskId, status: finalStatus.call });
  return {
    taskId,
    finalStatus,
    ending,
    exitCode: ending.kind === 'exited' ? ending.exitCode : null,
    timingsMs: { ...ctx.timings },
    logsPending: delivery?.pending ?? 0,
  };
}

/** The status call of a run's end as the task outbox keeps it until the log is in (null: none to make). */
function pendingFinalStatus(finalStatus: FinalStatus, workerId: string, timings: Record<string, number>): PendingFinalStatus | null {
  if (finalStatus.call === 'none') return null;
  return {
    call: finalStatus.call,
    statusReason: finalStatus.statusReason,
    statusMessage: `Changed by Tray Agent ${workerId}`,
    runtime: { _tray_agent_phase_timings_ms: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])) },
  };
}

/** The API server the run talks to, as its task's SDK config names it (the outbox files entries under it). */
function apiServerOf(settings: TaskRunSettings): string {
  const api = settings.childConfig['api'] as { api_server?: unknown } | undefined;
  return typeof api?.api_server === 'string' && api.api_server ? api.api_server : 'unknown-api-server';
}
