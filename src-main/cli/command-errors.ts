import { CommanderError, type Command } from 'commander';
import { ApiError, NameNotFoundError } from '../engine/api/index.js';
import { CliArgsError } from '../engine/api/cli-args-marking.js';

// How every command reports failure: one line naming the command, exit code 2 for bad
// command-line input (commander's own errors included), 1 for everything else.

/** Bad command-line input: exit code 2 (server-side failures exit 1). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const usageExitCode = 2;

/** Turns commander's own usage errors (unknown option, missing argument) into exit code 2. */
export function usageErrorsExitWith2(command: Command): Command {
  return command.exitOverride((error: CommanderError) => {
    if (error.exitCode === 0) throw error;
    throw new CommanderError(usageExitCode, error.code, error.message);
  });
}

/** Runs one command's work; prints any failure as one line naming the command, and sets the exit code. */
export function commandAction<A extends unknown[]>(name: string, work: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await work(...args);
    } catch (error) {
      const { message, exitCode } = describeCommandError(error);
      process.stderr.write(`tray-agent ${name}: ${message}\n`);
      process.exitCode = exitCode;
    }
  };
}

function describeCommandError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof UsageError || error instanceof CliArgsError) return { message: error.message, exitCode: usageExitCode };
  if (error instanceof ApiError && error.is(400, 101)) {
    return { message: `${error.message}\n  the task id was not found; list tasks with \`tray-agent task list\``, exitCode: 1 };
  }
  if (error instanceof NameNotFoundError) return { message: error.message, exitCode: 1 };
  return { message: error instanceof Error ? error.message : String(error), exitCode: 1 };
}
