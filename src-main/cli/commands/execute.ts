import { Command, InvalidArgumentError, Option } from 'commander';
import { GpuSpecError } from '../../engine/gpu/index.js';
import { executeTask } from '../../control/index.js';
import { commandAction, UsageError, usageErrorsExitWith2 } from '../command-errors.js';
import { terminalRedactor } from '../terminal-output.js';

const logLevels = ['DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'CRITICAL'];

interface ExecuteFlags {
  id: string;
  clone?: boolean;
  logLevel?: string;
  logFile?: string;
  disableMonitoring?: boolean;
  fullMonitoring?: boolean;
  requireQueue?: boolean;
  standaloneMode?: boolean;
  gpus?: string;
  cpuOnly?: boolean;
  O?: number;
  timeout?: string;
  gitUser?: string;
  gitPass?: string;
}

/**
 * `tray-agent execute --id T`: runs one task here, through the same pipeline the daemon uses.
 * Flags and exit codes as clearml-agent's `execute` (reference §1.5, §1.7).
 */
export function registerExecuteCommand(program: Command): void {
  const command = program
    .command('execute')
    .description('build the environment of one task and run it here (as clearml-agent execute)')
    .requiredOption('--id <task>', 'task id to run')
    .option('--clone', 'clone the task (tasks.clone) and run the clone')
    .addOption(new Option('--log-level <level>', 'log level for the task (CLEARML_LOG_LEVEL)').argParser((v) => {
      const upper = v.toUpperCase();
      if (!logLevels.includes(upper)) throw new InvalidArgumentError(`expected one of ${logLevels.join(', ')}`);
      return upper;
    }))
    .option('--log-file <path>', 'also write the task output to this file')
    .option('--disable-monitoring', 'run only: no status changes, no log shipping (output still printed)')
    .option('--full-monitoring', 'behave like a one-task daemon: register a worker and report')
    .option('--require-queue', 'refuse unless the task is still queued (for external schedulers)')
    .option('--standalone-mode', 'no clone, no installs: run with the code and interpreter at hand')
    .option('--gpus <spec>', 'GPUs for the task: 0 | 0,1 | all | 0:1 (MIG)')
    .option('--cpu-only', 'hide every GPU from the task')
    .option('--timeout <seconds>', 'stop the task (marked failed) after this many seconds')
    .addOption(new Option('-O', 'python optimisation flag, repeatable (-O, -OO)').argParser((_v, previous: number | undefined) => (previous ?? 0) + 1))
    // Accepted as clearml-agent's execute accepts them (a daemon passes its own flags on).
    .addOption(new Option('--git-user <user>').hideHelp())
    .addOption(new Option('--git-pass <pass>').hideHelp())
    .action(commandAction('execute', async (flags: ExecuteFlags, cmd: Command) => {
      process.exitCode = await runExecute(flags, cmd.optsWithGlobals().configFile as string | undefined);
    }));
  usageErrorsExitWith2(command);
}

async function runExecute(flags: ExecuteFlags, configFile: string | undefined): Promise<number> {
  if (flags.gitUser || flags.gitPass) process.stderr.write('tray-agent execute: --git-user/--git-pass are ignored (as in clearml-agent); set agent.git_user/git_pass or CLEARML_AGENT_GIT_USER/PASS\n');
  if (flags.disableMonitoring && flags.fullMonitoring) throw new UsageError('--disable-monitoring and --full-monitoring exclude each other; pick one');
  const timeoutSec = flags.timeout === undefined ? 0 : Number(flags.timeout);
  if (!Number.isFinite(timeoutSec) || timeoutSec < 0) throw new UsageError(`--timeout "${flags.timeout}": expected a number of seconds ≥ 0`);
  const redact = await terminalRedactor(configFile);
  try {
    return await executeTask({
      taskId: flags.id,
      configFile,
      clone: flags.clone,
      logLevel: flags.logLevel,
      logFile: flags.logFile,
      disableMonitoring: flags.disableMonitoring,
      fullMonitoring: flags.fullMonitoring,
      requireQueue: flags.requireQueue,
      standalone: flags.standaloneMode,
      gpus: flags.gpus ?? null,
      cpuOnly: flags.cpuOnly,
      optimizeLevel: flags.O,
      timeoutSec,
      // Task output is redacted by the pipeline; our own lines (clone notes) pass the same redactor.
      out: (text) => process.stdout.write(redact(text)),
      warn: (text) => process.stderr.write(`tray-agent execute: ${redact(text)}\n`),
    });
  } catch (error) {
    if (error instanceof GpuSpecError) throw new UsageError(error.message);
    throw error;
  }
}
