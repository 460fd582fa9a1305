import type { StopReason } from './stop-reason.js';
import type { TaskPhase } from './context.js';
import { environmentPhase } from './phases/environment.js';
import { launchPhase } from './phases/launch.js';
import { supervisePhase } from './phases/supervise.js';

/**
 * How a task is run once its workspace is ready (DESIGN.md "A task's path"): the venv executor
 * builds a Python environment here and runs a process group; docker runs a container; the glue
 * backends hand the task to a scheduler. The pipeline takes its later phases from the executor.
 */
export interface TaskExecutor {
  readonly kind: 'venv' | 'docker' | 'slurm' | 'k8s';
  /** The phases after `workspace`, in order. `stopRequested` resolves when the run must stop. */
  phases(context: { stopRequested: Promise<StopReason> }): TaskPhase[];
}

/** The default: a venv (or the interpreter as is) and a process group on this machine. */
export const venvExecutor: TaskExecutor = {
  kind: 'venv',
  phases: ({ stopRequested }) => [environmentPhase(), launchPhase(), supervisePhase({ stopRequested })],
};
