import { hostname } from 'node:os';
import { createWriteStream, type WriteStream } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadAgentConfig, applyEnvironmentSection } from '../../engine/config/index.js';
import { createApiClient } from '../../engine/api/index.js';
import { apiClientOptionsFromConfig } from '../../engine/api/from-config.js';
import { resolveGpuSelection, gpuEnvFor, GpuSpecError, queryGpus } from '../../engine/gpu/index.js';
import { runTask } from '../../engine/task-run/run-task.js';
import { createTaskRunApi } from '../../engine/task-run/api-adapter.js';
import { taskRunSettingsFromConfig } from '../../engine/task-run/settings-from-config.js';
import { TaskNotRunnableError } from '../../engine/task-run/phases/start.js';
import { createMachineStatsSampler } from '../../engine/metrics/index.js';
import { startWorkerReporter } from '../../engine/daemon/worker-reporter.js';
import { createDaemonApi } from '../../engine/daemon/api-adapter.js';
import { commandAction, UsageError, usageErrorsExitWith2 } from '../command-errors.js';

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
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
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
    .action(commandAction('execute', async (flags: ExecuteFlags, cmd: Command) => {
      process.exitCode = await executeTask(flags, cmd.optsWithGlobals().configFile as string | undefined);
    }));
  usageErrorsExitWith2(command);
}

async function executeTask(flags: ExecuteFlags, configFile: string | undefined): Promise<number> {
  if (flags.disableMonitoring && flags.fullMonitoring) throw new UsageError('--disable-monitoring and --full-monitoring exclude each other; pick one');
  const timeoutSec = flags.timeout === undefined ? 0 : Number(flags.timeout);
  if (!Number.isFinite(timeoutSec) || timeoutSec < 0) throw new UsageError(`--timeout "${flags.timeout}": expected a number of seconds ≥ 0`);
  const { config, warnings } = await loadAgentConfig({ configFile });
  for (const warning of warnings) process.stderr.write(`tray-agent execute: ${warning}\n`);

  const baseEnv: Record<string, string | undefined> = { ...process.env };
  applyEnvironmentSection(config, baseEnv);
  let gpuEnv: Record<string, string | undefined> = {};
  try {
    const selection = resolveGpuSelection({ gpusFlag: flags.gpus ?? null, cpuOnly: flags.cpuOnly ?? false, env: baseEnv });
    if (selection) gpuEnv = { ...gpuEnvFor(selection) };
  } catch (error) {
    if (error instanceof GpuSpecError) throw new UsageError(error.message);
    throw error;
  }

  const client = createApiClient(apiClientOptionsFromConfig(config, { logger: (level, msg) => level !== 'debug' && process.stderr.write(`[api] ${msg}\n`) }));
  await client.login();
  const api = createTaskRunApi(client);
  let taskId = flags.id;
  if (flags.clone) {
    const source = await api.getTask(taskId);
    taskId = await api.clone(taskId, `Clone of ${source.name ?? taskId}`);
    process.stdout.write(`Cloned task ${flags.id} → ${taskId}\n`);
  }
  // clearml-agent's execute: the inherited CLEARML_WORKER_ID (a daemon's), else `<name>:<pid>`.
  const inheritedWorkerId = baseEnv['CLEARML_WORKER_ID'];
  const workerId = inheritedWorkerId || `${config.agent.workerName || hostname()}:${process.pid}`;
  // A worker id of our own lives only as long as this run: it is removed from the server after.
  const ownWorker = flags.fullMonitoring || (!inheritedWorkerId && !flags.disableMonitoring);
  const settings = taskRunSettingsFromConfig(config, {
    gpuEnv,
    baseEnv,
    logLevel: flags.logLevel,
    timeoutSec,
    standalone: flags.standaloneMode ?? false,
    optimizeLevel: flags.O,
  });

  let logFile: WriteStream | null = null;
  if (flags.logFile) logFile = createWriteStream(flags.logFile, { flags: 'a', mode: 0o600 });
  const echo = (text: string): void => {
    process.stdout.write(text);
    logFile?.write(text);
  };

  // --full-monitoring: a one-task worker of its own, with status reports and machine stats.
  let stopReporting = (): void => undefined;
  if (flags.fullMonitoring) {
    await client.workers.register({ worker: workerId }).catch(() => undefined);
    const sampler = createMachineStatsSampler({ sampleIntervalMs: 5_000, gpuQuery: () => queryGpus({ env: baseEnv as NodeJS.ProcessEnv }) });
    const reporter = startWorkerReporter({
      api: createDaemonApi(client),
      buildReports: (machineStats) => [{ workerId, queueIds: [], taskId, machineStats }],
      takeMachineStats: async () => sampler.takeReport() as Record<string, unknown> | null,
    });
    stopReporting = () => {
      reporter.stop();
      sampler.stop();
    };
  }
  // The first Ctrl+C / SIGTERM stops the task (SIGTERM, grace, SIGKILL); a second one exits now.
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const result = await runTask({
      taskId,
      workerId,
      api,
      settings,
      monitoring: !flags.disableMonitoring,
      requireQueue: flags.requireQueue ?? false,
      externalStop: { signal: abort.signal, reason: () => ({ kind: 'shutdown' }) },
      echo,
    });
    if (flags.fullMonitoring && !truthy(baseEnv['CLEARML_AGENT_PROPAGATE_EXITCODE'])) return 0;
    if (result.ending.kind === 'exited') return result.exitCode ?? 1;
    if (result.ending.kind === 'stopped') return 255;
    return 1;
  } catch (error) {
    if (error instanceof TaskNotRunnableError) throw new Error(error.message, { cause: error });
    throw error;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    stopReporting();
    if (ownWorker) await client.workers.unregister({ worker: workerId }).catch(() => undefined);
    await new Promise<void>((resolve) => (logFile ? logFile.end(resolve) : resolve()));
  }
}
