// The environment's tools (pip, poetry, uv, conda) run through the engine's one process module;
// this adapter only makes a cancellation surface as the environment's own error.
import { runCommand, summariseFailure, type ProcessResult, type RunCommandOptions } from '../process/index.js';
import { cancelledError } from './errors.js';

export type { ProcessResult };
export type RunProcessOptions = Omit<RunCommandOptions, 'cancelledError'> & { env: NodeJS.ProcessEnv };

/**
 * Runs one command in its own process group so that cancellation reaches everything it started
 * (pip spawns build backends and git). Never throws for a failing command: callers turn the
 * result into an error that names what they were doing. Throws only when cancelled.
 */
export function runProcess(command: string, args: string[], opts: RunProcessOptions): Promise<ProcessResult> {
  return runCommand(command, args, { ...opts, cancelledError });
}

export { summariseFailure };
