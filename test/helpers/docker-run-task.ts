// Runs a task through the real pipeline (engine/task-run/run-task.ts) with the phases after the
// workspace supplied by the caller (docker mode's), the way the docker executor plugs into the
// executor seam. Kept for the docker tests and benchmark that pass phases directly.
import { runTask, type RunTaskOptions as PipelineOptions, type TaskRunResult } from '../../src-main/engine/task-run/run-task.js';
import type { TaskPhase } from '../../src-main/engine/task-run/context.js';
import type { StopReason } from '../../src-main/engine/task-run/stop-reason.js';

export type { TaskRunResult };

export type RunTaskOptions = Omit<PipelineOptions, 'executor'> & {
  /** The executor's phases after workspace (docker mode: dockerPhases). */
  readonly executorPhases: (seam: { stopRequested: Promise<StopReason>; reportStatus: boolean }) => TaskPhase[];
};

export function runTaskWithExecutor(options: RunTaskOptions): Promise<TaskRunResult> {
  const { executorPhases, ...rest } = options;
  return runTask({
    ...rest,
    executor: { kind: 'docker', phases: ({ stopRequested }) => executorPhases({ stopRequested, reportStatus: options.monitoring !== false }) },
  });
}
