import type { ServerContext } from './context.js';
import type { Identity } from './identity.js';
import type { TaskOperations } from './tasks/task-operations.js';

export const NON_RESPONSIVE_REASON = 'Forced stop (non-responsive)';

/**
 * One maintenance pass: in_progress tasks silent for longer than the non-responsive timeout
 * are stopped (ClearML's watchdog), and expired worker registrations and runtime properties
 * are purged. Returns the ids of the tasks it stopped.
 */
export function runMaintenancePass(ctx: ServerContext, taskOps: TaskOperations, system: Identity): string[] {
  const now = ctx.now();
  const stopped: string[] = [];
  ctx.db.transaction(() => {
    const threshold = now - ctx.settings.nonResponsiveTaskTimeoutSec * 1000;
    for (const task of ctx.tasks.staleInProgress(threshold)) {
      taskOps.setStatus(task, 'stopped', { force: true, reason: NON_RESPONSIVE_REASON, message: NON_RESPONSIVE_REASON }, system);
      task.completed = task.status_changed;
      ctx.tasks.save(task);
      stopped.push(task.id);
    }
    ctx.workers.purgeExpired(now);
  })();
  for (const id of stopped) ctx.log(`watchdog: task ${id} stopped (no update for ${ctx.settings.nonResponsiveTaskTimeoutSec} s)`);
  return stopped;
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
