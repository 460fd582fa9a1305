import type { ServerContext } from './context.js';
import type { Identity } from './identity.js';
import type { TaskOperations } from './tasks/task-operations.js';

export const NON_RESPONSIVE_REASON = 'Forced stop (non-responsive)';
/** Queue length history kept for queues.get_queue_metrics. */
const QUEUE_METRICS_KEEP_MS = 30 * 24 * 3600 * 1000;

/** `worker lost: no status report for N s`, the reason a task of a vanished worker fails with. */
export function workerLostReason(silentSec: number): string {
  return `worker lost: no status report for ${silentSec} s`;
}

/**
 * in_progress tasks whose worker stopped reporting them (`last_worker_report`, refreshed by
 * every workers.status_report that names the task) for longer than that worker's timeout are
 * failed: the agent that ran them crashed or lost the machine, and nobody else will finish them.
 */
function failTasksOfLostWorkers(ctx: ServerContext, taskOps: TaskOperations, system: Identity, now: number): string[] {
  const failed: string[] = [];
  const workers = ctx.workers.live(now);
  for (const task of ctx.tasks.list({ statuses: ['in_progress'] })) {
    if (task.status !== 'in_progress' || !task.last_worker) continue;
    const lastReport = Date.parse(String(task.last_worker_report ?? ''));
    if (!Number.isFinite(lastReport)) continue;
    const worker = workers.find((record) => record.id === task.last_worker && record.company === task.company);
    const timeoutSec = worker?.register_timeout ?? task.last_worker_timeout_sec ?? ctx.settings.workerTimeoutSec;
    const silentMs = now - lastReport;
    if (silentMs <= timeoutSec * 1000) continue;
    const reason = workerLostReason(Math.round(silentMs / 1000));
    taskOps.setStatus(task, 'failed', { force: true, reason, message: `worker ${task.last_worker} lost` }, system);
    ctx.tasks.save(task);
    failed.push(task.id);
  }
  return failed;
}

/**
 * One maintenance pass: tasks of lost workers are failed, in_progress tasks silent for longer
 * than the non-responsive timeout are stopped (ClearML's watchdog), and expired worker
 * registrations, runtime properties and old queue metrics are purged. Returns the ids of the
 * tasks it failed or stopped.
 */
export function runMaintenancePass(ctx: ServerContext, taskOps: TaskOperations, system: Identity): string[] {
  const now = ctx.now();
  const stopped: string[] = [];
  let lost: string[] = [];
  ctx.db.transaction(() => {
    lost = failTasksOfLostWorkers(ctx, taskOps, system, now);
    const threshold = now - ctx.settings.nonResponsiveTaskTimeoutSec * 1000;
    for (const task of ctx.tasks.staleInProgress(threshold)) {
      taskOps.setStatus(task, 'stopped', { force: true, reason: NON_RESPONSIVE_REASON, message: NON_RESPONSIVE_REASON }, system);
      task.completed = task.status_changed;
      ctx.tasks.save(task);
      stopped.push(task.id);
    }
    ctx.workers.purgeExpired(now);
    ctx.queues.purgeMetricSamples(now - QUEUE_METRICS_KEEP_MS);
  })();
  for (const id of lost) ctx.log(`watchdog: task ${id} failed (its worker stopped reporting it)`);
  for (const id of stopped) ctx.log(`watchdog: task ${id} stopped (no update for ${ctx.settings.nonResponsiveTaskTimeoutSec} s)`);
  return [...lost, ...stopped];
}

/** Runs the maintenance pass every `intervalMs` until the returned stop function is called. */
export function startWatchdog(run: () => void, intervalMs: number, log: (line: string) => void): () => void {
  const timer = setInterval(() => {
    try {
      run();
    } catch (error) {
      log(`watchdog pass failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
