import { buildProgram } from './program.js';
import { CommanderError } from 'commander';

/**
 * Runs one `tray-agent` command line and resolves to the process exit code. Shared by the
 * plain-Node bin and Electron's `--cli` mode, so both behave identically.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  // Commands report their exit code through process.exitCode; start each run from a clean slate.
  process.exitCode = undefined;
  // No command at all: the command list, exit 0 (as clearml-agent).
  if (argv.filter((a) => !a.startsWith('-')).length === 0 && !argv.some((a) => a === '-V' || a === '--version' || a === '-h' || a === '--help')) {
    process.stdout.write(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are "errors" to commander; their exit code is 0.
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`tray-agent: ${message}\n`);
    return 1;
  }
}
