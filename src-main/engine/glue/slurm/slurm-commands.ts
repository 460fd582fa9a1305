// The one place the Slurm glue runs Slurm's commands (through engine/process, argv only, never a
// shell). The batch script goes to sbatch on stdin, so it is never a file of ours on disk.
import { runCommand } from '../../process/index.js';

export type SlurmCommandName = 'sbatch' | 'squeue' | 'scancel' | 'scontrol' | 'sacct';

export interface SlurmCommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The command could not be started (not installed, not on PATH). */
  readonly notFound: boolean;
}

export type SlurmCommandRunner = (command: SlurmCommandName, args: readonly string[], options?: { input?: string; cwd?: string }) => Promise<SlurmCommandResult>;

/** Runs Slurm commands with the glue's environment (sbatch passes it on to the job, as Slurm does). */
export function createSlurmCommandRunner(options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): SlurmCommandRunner {
  const env = options.env ?? process.env;
  return async (command, args, runOptions = {}) => {
    const result = await runCommand(command, args, {
      env,
      cwd: runOptions.cwd,
      input: runOptions.input,
      captureStdout: true,
      captureStderr: true,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    return {
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: result.timedOut ? `${result.stderr}\n${command} timed out` : result.stderr,
      notFound: result.spawnError !== null,
    };
  };
}
