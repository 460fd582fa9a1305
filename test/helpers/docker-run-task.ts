// TEST-ONLY runner until the executor seam lands in src-main/engine/task-run/run-task.ts:
// run-task.ts as it is on this branch (start → workspace → phases), with the phases after
// workspace supplied by the caller. Nothing else differs; keep it in step with run-task.ts.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CleanupStack } from '../../src-main/engine/task-run/cleanup-stack.js';
import { watchForAbort } from '../../src-main/engine/task-run/abort-watcher.js';
import { decideFinalStatus, type FinalStatus, type RunEnding } from '../../src-main/engine/task-run/final-status.js';
import { TaskSetupError, type AgentLogLevel, type TaskPhase, type TaskRunContext, type TaskRunEvent } from '../../src-main/engine/task-run/context.js';
import type { StopReason } from '../../src-main/engine/task-run/stop-reason.js';
import type { TaskRunApi } from '../../src-main/engine/task-run/task-run-api.js';
import type { TaskRunSettings } from '../../src-main/engine/task-run/settings.js';
import { startPhase, TaskNotRunnableError } from '../../src-main/engine/task-run/phases/start.js';
import { workspacePhase } from '../../src-main/engine/task-run/phases/workspace.js';
import { createLogShipper, createRedactor, type LogShipper } from '../../src-main/engine/logs/index.js';

export interface RunTaskOptions {
  /** The executor's phases after workspace (docker mode: dockerPhases). */
  readonly executorPhases: (seam: { stopRequested: Promise<StopReason>; reportStatus: boolean }) => TaskPhase[];
  readonly taskId: string;
  readonly workerId: string;
  readonly api: TaskRunApi;
  readonly settings: TaskRunSettings;
  /** false = clearml-agent's --disable-monitoring: no status changes, no log shipping. */
  readonly monitoring: boolean;
  readonly requireQueue?: boolean;
  /**
   * The task was already taken from its queue by this agent (the daemon): it is ours from the
   * first moment, so even a stop before the start phase ends it with a status (never left
   * in_progress). `execute --id` leaves this false: a task it never started is not touched.
   */
  readonly pulled?: boolean;
  /** Aborting it stops the run with this reason (the daemon passes 'shutdown'). */
  readonly externalStop?: { signal: AbortSignal; reason: () => StopReason };
  /** Echo of everything shipped (task output and agent lines), e.g. to the terminal. */
  readonly echo?: (text: string) => void;
  readonly onEvent?: (event: TaskRunEvent) => void;
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
export async function runTaskWithExecutor(options: RunTaskOptions): Promise<TaskRunResult> {
  const { settings, api, taskId, workerId } = options;
  await mkdir(settings.workRoot, { recursive: true, mode: 0o700 });
  const taskDir = await mkdtemp(join(settings.workRoot, `task-${taskId.slice(0, 12)}-`));
  const cleanups = new CleanupStack();
  cleanups.push('task folder', () => rm(taskDir, { recursive: true, force: true }));

  // The log goes to the task only once the task is known to exist and be ours (after the start
  // phase): a bad id must not leave a spool of lines no server will ever accept.
  let shipper: LogShipper | null = null;
  const earlyLines: Array<[AgentLogLevel, string]> = [];
  const openTaskLog = (): void => {
    if (!options.monitoring || shipper) return;
    shipper = createLogShipper({
      taskId,
      workerId,
      spoolDir: settings.spoolDir,
      sink: { addBatch: (events) => api.addLogEvents(events) },
      redactor: createRedactor({ secrets: [...settings.secrets], env: settings.baseEnv as NodeJS.ProcessEnv }),
      suppressCarriageReturn: settings.suppressCarriageReturn,
    });
    for (const [level, text] of earlyLines.splice(0)) shipper.agentLine(level, text);
  };
  if (options.pulled) openTaskLog();
  const echo = options.echo;
  const log = (level: AgentLogLevel, text: string): void => {
    if (shipper) shipper.agentLine(level, text);
    else if (options.monitoring) earlyLines.push([level, text]);
    echo?.(`${text}\n`);
  };
  const emit = (event: TaskRunEvent): void => options.onEvent?.(event);
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
        echo?.(chunk.toString('utf8'));
      },
      stderr(chunk) {
        shipper?.writeStderr(chunk);
        echo?.(chunk.toString('utf8'));
      },
    },
  };

  // One controller ends whatever phase is running when a stop arrives.
  const setupAbort = new AbortController();
  let resolveStop!: (reason: StopReason) => void;
  const stopRequested = new Promise<StopReason>((resolve) => (resolveStop = resolve));
  const requestStop = (reason: StopReason): void => {
    if (ctx.stopReason) return;
    ctx.stopReason = reason;
    resolveStop(reason);
    setupAbort.abort(reason);
  };
  const onExternalStop = (): void => requestStop(options.externalStop!.reason());
  if (options.externalStop) {
    if (options.externalStop.signal.aborted) onExternalStop();
    else options.externalStop.signal.addEventListener('abort', onExternalStop, { once: true });
  }

  let watcher: ReturnType<typeof watchForAbort> | null = null;
  const phases: TaskPhase[] = [
    startPhase({ requireQueue: options.requireQueue ?? false, reportStatus: options.monitoring }),
    workspacePhase({ reportStatus: options.monitoring }),
    ...options.executorPhases({ stopRequested, reportStatus: options.monitoring }),
  ];

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
      if (phase.name === 'start' && options.monitoring) {
        openTaskLog();
        watcher = watchForAbort({
          taskId,
          intervalMs: settings.abortPollIntervalMs,
          getTaskStatus: (id) => api.getTaskStatus(id),
          onResetSuspected: (streak) => log('WARNING', `Task status is "created" (reset?) — poll ${streak}`),
        });
        void watcher.stopRequested.then(requestStop);
      }
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
    watcher?.close();
    options.externalStop?.signal.removeEventListener('abort', onExternalStop);
  }

  if (notRunnable || (!ctx.task && !options.pulled)) {
    // The task is not ours to report on (missing, not queued): nothing goes to the server.
    await cleanups.runAll();
    if (notRunnable) throw notRunnable;
    const detail = ctx.ending?.kind === 'setup-failed' ? ctx.ending.detail : 'the task could not be read';
    throw new TaskNotRunnableError(`task ${taskId}: ${detail}`);
  }

  const ending: RunEnding = ctx.ending ?? { kind: 'setup-failed', reason: 'agent error', detail: 'the run ended without an outcome' };
  const finalStatus = decideFinalStatus(ending);
  log(finalStatus.call === 'completed' ? 'INFO' : finalStatus.call === 'failed' ? 'ERROR' : 'WARNING', finalStatus.consoleLine);
  const timingText = Object.entries(ctx.timings)
    .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(2)} s`)
    .join(', ');
  log('INFO', `Phase timings: ${timingText}`);

  const failures = await cleanups.runAll();
  for (const failure of failures) log('WARNING', `Cleanup "${failure.name}" failed: ${String(failure.error)}`);

  // Ship every line before the final status, so a follower sees the whole log once it ends.
  const openShipper = shipper as LogShipper | null;
  shipper = null; // later agent lines (the status report) only reach the terminal
  const shipped = openShipper ? await openShipper.close({ timeoutMs: 30_000 }) : { pending: 0 };
  if (options.monitoring) {
    await reportFinalStatus(api, taskId, workerId, finalStatus, ctx.timings, log);
  }
  emit({ type: 'finished', taskId, status: finalStatus.call });
  return {
    taskId,
    finalStatus,
    ending,
    exitCode: ending.kind === 'exited' ? ending.exitCode : null,
    timingsMs: { ...ctx.timings },
    logsPending: shipped.pending,
  };
}

async function reportFinalStatus(
  api: TaskRunApi,
  taskId: string,
  workerId: string,
  finalStatus: FinalStatus,
  timings: Record<string, number>,
  log: (level: AgentLogLevel, text: string) => void,
): Promise<void> {
  const change = { statusReason: finalStatus.statusReason, statusMessage: `Changed by Tray Agent ${workerId}` };
  try {
    await api.mergeRuntime(taskId, { _tray_agent_phase_timings_ms: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])) });
  } catch {
    // Timings are informative; a task that can no longer be edited still gets its status.
  }
  try {
    if (finalStatus.call === 'completed') await api.completed(taskId, change);
    else if (finalStatus.call === 'failed') await api.failed(taskId, change);
    else if (finalStatus.call === 'stopped') await api.stopped(taskId, change);
  } catch (error) {
    // The SDK inside the task may already have set a final status; clearml-agent logs and moves on.
    log('WARNING', `Could not update task status: ${error instanceof Error ? error.message : String(error)}`);
  }
}
