// `execute --id T`: one task run here through the same pipeline the daemon uses, with
// clearml-agent's flags and exit codes (reference §1.5, §1.7). The CLI only parses flags.
import { hostname } from 'node:os';
import { createWriteStream, type WriteStream } from 'node:fs';
import { loadAgentConfig, applyEnvironmentSection, type ConfigOverrideLayer } from '../engine/config/index.js';
import { createApiClient, type ApiClient } from '../engine/api/index.js';
import { apiClientOptionsFromConfig } from '../engine/api/from-config.js';
import { resolveGpuSelection, gpuEnvFor, queryGpus } from '../engine/gpu/index.js';
import { runTask } from '../engine/task-run/run-task.js';
import { openTaskOutbox } from '../engine/logs/index.js';
import { createTaskRunApi } from '../engine/task-run/api-adapter.js';
import { taskRunSettingsFromConfig } from '../engine/task-run/settings-from-config.js';
import { TaskNotRunnableError } from '../engine/task-run/phases/start.js';
import type { TaskExecutor } from '../engine/task-run/executor.js';
import { createMachineStatsSampler } from '../engine/metrics/index.js';
import { startWorkerReporter } from '../engine/daemon/worker-reporter.js';
import { createDaemonApi } from '../engine/daemon/api-adapter.js';
import { withDeadline, SERVER_CALL_DEADLINE_MS } from '../engine/daemon/daemon.js';
import type { AgentConfig } from '../engine/config/index.js';
import { handleStopSignals } from './signals.js';

export interface ExecuteOptions {
  readonly taskId: string;
  readonly configFile?: string;
  readonly layers?: readonly ConfigOverrideLayer[];
  readonly clone?: boolean;
  readonly logLevel?: string;
  readonly logFile?: string;
  readonly disableMonitoring?: boolean;
  readonly fullMonitoring?: boolean;
  readonly requireQueue?: boolean;
  readonly standalone?: boolean;
  readonly gpus?: string | null;
  readonly cpuOnly?: boolean;
  readonly optimizeLevel?: number;
  readonly timeoutSec?: number;
  readonly env?: Record<string, string | undefined>;
  /** Lines for the terminal (already redacted). */
  readonly out: (text: string) => void;
  /** Warnings about the configuration. */
  readonly warn: (text: string) => void;
  /** Docker mode and the glue pick their executor here. */
  readonly executorFor?: (config: AgentConfig, client: ApiClient, baseEnv: Record<string, string | undefined>) => TaskExecutor | undefined;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

/** Runs the task; resolves with the exit code `execute` returns (the task's own, or 1/255). */
export async function executeTask(options: ExecuteOptions): Promise<number> {
  const env = options.env ?? { ...process.env };
  const { config, warnings } = await loadAgentConfig({ configFile: options.configFile, env, overrides: [...(options.layers ?? [])] });
  for (const warning of warnings) options.warn(warning);
  const baseEnv: Record<string, string | undefined> = { ...env };
  applyEnvironmentSection(config, baseEnv);
  const selection = resolveGpuSelection({ gpusFlag: options.gpus ?? null, cpuOnly: options.cpuOnly ?? false, env: baseEnv });
  const gpuEnv: Record<string, string | undefined> = selection ? { ...gpuEnvFor(selection) } : {};

  const client = createApiClient(apiClientOptionsFromConfig(config, { logger: (level, msg) => level !== 'debug' && options.warn(`[api] ${msg}`) }));
  // The machine's task outbox (engine/logs): what earlier runs could not deliver goes out now, and
  // this run's log tail and status wait there if the server is down when the task ends. Its own
  // client does not retry by itself: the outbox retries, for as long as it takes.
  const inheritedWorkerId = baseEnv['CLEARML_WORKER_ID'];
  const workerId = inheritedWorkerId || `${config.agent.workerName || hostname()}:${process.pid}`;
  const outbox = openTaskOutbox({
    spoolDir: config.agent.spoolDir,
    serverUrl: client.apiServer,
    server: createTaskRunApi(createApiClient(apiClientOptionsFromConfig(config, { maxRetries: 0 }))),
    workerId,
  });
  outbox.drain();
  try {
    await client.login();
  } catch (error) {
    await outbox.close();
    throw error;
  }
  try {
    return await runLoggedIn();
  } finally {
    await outbox.close();
  }

  async function runLoggedIn(): Promise<number> {
    const api = createTaskRunApi(client);
    let taskId = options.taskId;
    if (options.clone) {
      const source = await api.getTask(taskId);
      taskId = await api.clone(taskId, `Clone of ${source.name ?? taskId}`);
      options.out(`Cloned task ${options.taskId} → ${taskId}\n`);
    }
    // clearml-agent's execute: the inherited CLEARML_WORKER_ID (a daemon's), else `<name>:<pid>`.
    // A worker id of our own lives only as long as this run: it is removed from the server after.
    const ownWorker = options.fullMonitoring || (!inheritedWorkerId && !options.disableMonitoring);
    const settings = taskRunSettingsFromConfig(config, {
      gpuEnv,
      baseEnv,
      logLevel: options.logLevel,
      timeoutSec: options.timeoutSec ?? 0,
      standalone: options.standalone ?? false,
      optimizeLevel: options.optimizeLevel,
    });

    let logFile: WriteStream | null = null;
    if (options.logFile) logFile = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 });
    const echo = (text: string): void => {
      options.out(text);
      logFile?.write(text);
    };

    // --full-monitoring: a one-task worker of its own, with status reports and machine stats.
    let stopReporting = (): void => undefined;
    if (options.fullMonitoring) {
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
    const abort = new AbortController();
    const signals = handleStopSignals({ stop: () => abort.abort() });
    try {
      const result = await runTask({
        taskId,
        workerId,
        api,
        settings,
        monitoring: !options.disableMonitoring,
        requireQueue: options.requireQueue ?? false,
        outbox,
        executor: options.executorFor?.(config, client, baseEnv),
        externalStop: { signal: abort.signal, reason: () => ({ kind: 'shutdown' }) },
        echo,
      });
      if (options.fullMonitoring && !truthy(baseEnv['CLEARML_AGENT_PROPAGATE_EXITCODE'])) return 0;
      if (result.ending.kind === 'exited') return result.exitCode ?? 1;
      if (result.ending.kind === 'stopped') return 255;
      return 1;
    } catch (error) {
      if (error instanceof TaskNotRunnableError) throw new Error(error.message, { cause: error });
      throw error;
    } finally {
      signals.dispose();
      stopReporting();
      if (ownWorker) await withDeadline(client.workers.unregister({ worker: workerId }), SERVER_CALL_DEADLINE_MS);
      await new Promise<void>((resolve) => (logFile ? logFile.end(resolve) : resolve()));
    }
  }
}
