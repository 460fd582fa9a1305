import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, applyEnvironmentSection, applyFilesSection, type AgentConfig, type ConfigOverrideLayer } from '../config/index.js';
import { createApiClient, type ApiClient } from '../api/index.js';
import { apiClientOptionsFromConfig } from '../api/from-config.js';
import { queryGpus, gpuEnvFor, dynamicGpuIndices } from '../gpu/index.js';
import { decideActive, nextScheduleEdge, createScheduleWatcher, type Schedule, type ScheduleWatcher } from '../schedule/index.js';
import { resolveWorkerIdentity, acquireLocalWorkerLock, type WorkerIdentity } from '../worker-identity/index.js';
import { createMachineStatsSampler, type MachineStatsSampler } from '../metrics/index.js';
import { openTaskOutbox } from '../logs/index.js';
import { processStartTicks } from '../process/index.js';
import { CleanupStack } from '../task-run/cleanup-stack.js';
import { runTask, type TaskRunResult } from '../task-run/run-task.js';
import type { TaskRunEvent } from '../task-run/context.js';
import type { TeeLine } from '../task-run/output-tee.js';
import type { TaskExecutor } from '../task-run/executor.js';
import { createTaskRunApi } from '../task-run/api-adapter.js';
import { taskRunSettingsFromConfig } from '../task-run/settings-from-config.js';
import type { StopReason } from '../task-run/stop-reason.js';
import { createDaemonApi } from './api-adapter.js';
import { DaemonLoop, withDeadline, SERVER_CALL_DEADLINE_MS, type DaemonLogLevel, type DaemonState, type RunningTaskInfo } from './daemon.js';
import { RunningRegistry, REGISTRY_SUFFIX, type RunHandle } from './running-registry.js';
import { claimCrashedRegistries, reapOrphans, type HandleReaper } from './orphan-reaper.js';
import { singleSlotPolicy, servicesSlotPolicy, type SlotPolicy } from './slots.js';
import { dynamicGpuSlotPolicy } from './dynamic-gpu-slots.js';
import { startWorkerReporter } from './worker-reporter.js';
import { createBusyGpuGate } from './busy-gpu-gate.js';
import { daemonFlagsLayer, preferencesLayer, resolveDaemonSettings, DaemonSetupError, type DaemonFlags, type DaemonPreferences, type DaemonSettings } from './daemon-settings.js';
import type { QueueRef, RuntimeForce } from './daemon-api.js';
import { dockerExecutor, dockerSettingsFromConfig, containerReaper, createDockerClient, dockerConnectionFromEnv, removeOrphanContainers } from '../docker/index.js';

export { DaemonSetupError, defaultPollingIntervalSec, minPollingIntervalSec, type DaemonFlags } from './daemon-settings.js';

export interface DaemonHandle {
  readonly workerId: string;
  readonly queues: readonly QueueRef[];
  readonly slotDescription: string;
  readonly done: Promise<void>;
  state(): DaemonState;
  /** The settings in force (after the last config reload). */
  settings(): DaemonSettings;
  runningTasks(): RunningTaskInfo[];
  /** The worker's runtime force property as last read (null: unset or unsupported). */
  lastForce(): RuntimeForce | null;
  drain(): void;
  undrain(): void;
  stop(): void;
  /** Stops one running task; false when it does not run here. */
  stopTask(taskId: string, reason: StopReason): boolean;
  /** Wakes the pull loop now (a preference or force changed). */
  poke(): void;
  /** The API client the daemon uses (the agent host reads queues and sets force with it). */
  readonly client: ApiClient;
  readonly config: () => AgentConfig;
}

export interface StartDaemonOptions {
  readonly flags: DaemonFlags;
  readonly log: (level: DaemonLogLevel, text: string) => void;
  /** Echo of task output (foreground mode prints it), redacted. */
  readonly echoTaskOutput?: (text: string) => void;
  /** Task log lines, redacted, for the agent host's live view. */
  readonly onTaskLogLines?: (taskId: string, lines: TeeLine[]) => void;
  readonly env?: Record<string, string | undefined>;
  /** Progress of every task run (phases, process start, finish): UI, benchmarks. */
  readonly onTaskEvent?: (event: TaskRunEvent) => void;
  readonly onTaskFinished?: (taskId: string, result: TaskRunResult | null, error: unknown) => void;
  readonly hostname?: string;
  readonly now?: () => Date;
  /** Configuration layers below the flags (e.g. `up`'s server and credentials). */
  readonly layers?: readonly ConfigOverrideLayer[];
  /** The tray's preferences, read at start and at every config reload (the last layer). */
  readonly preferences?: () => DaemonPreferences;
  /** The hosting process's control socket and what else it hosts (recorded for `--stop`). */
  readonly controlSocket?: string | null;
  readonly sharedWith?: readonly string[];
  /** Picks the executor for a task (default: docker with --docker, else venv). The glue plugs in here. */
  readonly executorFor?: (settings: DaemonSettings, config: AgentConfig, run: ExecutorContext) => TaskExecutor | undefined;
  /** Reapers for registry handles other than process groups (containers, scheduler jobs). */
  readonly reapers?: Partial<Record<RunHandle['kind'], HandleReaper>>;
}

/** `--gpus` on a machine without nvidia-smi still sets the variables, but says it once. */
async function warnWithoutNvidiaSmi(settings: DaemonSettings, env: Record<string, string | undefined>, log: StartDaemonOptions['log']): Promise<void> {
  if (!settings.selection || settings.selection.kind === 'none') return;
  const gpus = await queryGpus({ env: env as NodeJS.ProcessEnv, timeoutMs: 5_000 }).catch(() => undefined);
  if (gpus === null) log('warn', 'GPUs were requested (--gpus / agent.daemon.gpus) but this machine has no nvidia-smi: tasks get CUDA_VISIBLE_DEVICES as asked, yet no NVIDIA GPU is visible to them');
}

/** What an executor of one task run may need from the daemon. */
export interface ExecutorContext {
  readonly client: ApiClient;
  readonly workerId: string;
  readonly daemonWorkerId: string;
  readonly env: Record<string, string | undefined>;
  /** Records what runs the task (a container, a scheduler job) for the crash reaper. */
  readonly onHandle: (handle: RunHandle) => void;
}

/** `--docker`: each task in a container (engine/docker); services mode runs services there too. */
function defaultExecutor(settings: DaemonSettings, config: AgentConfig, run: ExecutorContext): TaskExecutor | undefined {
  if (!settings.docker) return undefined;
  const services = settings.servicesMax !== false;
  return dockerExecutor({
    docker: dockerSettingsFromConfig(config, { baseEnv: run.env, commandLine: settings.docker.image ? { image: settings.docker.image, arguments: settings.docker.args } : null }),
    client: run.client,
    role: services ? 'service' : 'task',
    parentWorkerId: services ? run.daemonWorkerId : undefined,
    onContainer: ({ containerId }) => run.onHandle({ kind: 'container', containerId }),
  });
}

function registryFileName(workerId: string): string {
  return `${workerId.replace(/[^A-Za-z0-9._-]/g, '_')}${REGISTRY_SUFFIX}`;
}

/** The configuration a daemon runs with: the file and environment, then its layers, then the flags and preferences. */
export function loadDaemonConfig(options: Pick<StartDaemonOptions, 'flags' | 'env' | 'layers' | 'preferences'>) {
  return loadAgentConfig({
    configFile: options.flags.configFile,
    env: options.env ?? process.env,
    overrides: [...(options.layers ?? []), daemonFlagsLayer(options.flags), ...(options.preferences ? [preferencesLayer(options.preferences())] : [])],
  });
}

/** The worker identity these flags and this configuration give (start, --stop and --status use it). */
export function daemonIdentity(config: AgentConfig, settings: DaemonSettings, env: Record<string, string | undefined>, host = osHostname()): WorkerIdentity {
  return resolveWorkerIdentity({
    hostname: host,
    workerId: config.agent.workerId,
    workerName: config.agent.workerName,
    selection: settings.selection,
    cpuOnly: settings.cpuOnly,
    dynamicGpus: settings.dynamicSpecs !== null,
    env,
  });
}

/**
 * Starts `tray-agent daemon`: config layers, login, queues, worker id and its local lock,
 * leftovers of crashed daemons, registration and status reports, then the pull loop. Resolves
 * once the daemon is pulling; `done` resolves after it drained or stopped and unregistered.
 * Everything it takes is on a cleanup stack: a start that fails half-way gives it all back.
 */
export async function startDaemon(options: StartDaemonOptions): Promise<DaemonHandle> {
  const { flags, log } = options;
  const env = options.env ?? { ...process.env };
  const host = options.hostname ?? osHostname();
  const loaded = await loadDaemonConfig({ ...options, env });
  let config = loaded.config;
  for (const warning of loaded.warnings) log('warn', warning);
  let settings = resolveDaemonSettings(config, env, flags);
  applyEnvironmentSection(config, env);
  if (config.agent.applyFiles) await applyFilesSection(config, { env });

  const cleanups = new CleanupStack();
  const fail = async (error: unknown): Promise<never> => {
    await cleanups.runAll(SERVER_CALL_DEADLINE_MS);
    throw error;
  };
  try {
    return await startWithCleanups();
  } catch (error) {
    return fail(error);
  }

  async function startWithCleanups(): Promise<DaemonHandle> {
    const client: ApiClient = createApiClient(
      apiClientOptionsFromConfig(config, { logger: (level, msg) => level !== 'debug' && log(level === 'warn' ? 'warn' : level, `[api] ${msg}`) }),
    );
    // The machine's task outbox: runs that ended while the server was down (any worker id), spools
    // of crashed agents. Drained in the background from now on, so a daemon started while the
    // server is down ships them the moment it answers; its own client does not retry by itself.
    const outbox = openTaskOutbox({
      spoolDir: config.agent.spoolDir,
      serverUrl: client.apiServer,
      server: createTaskRunApi(createApiClient(apiClientOptionsFromConfig(config, { maxRetries: 0 }))),
      workerId: config.agent.workerId || host,
      log: (line) => log('info', line),
    });
    cleanups.push('task outbox', () => outbox.close());
    outbox.drain();
    await client.login();
    const api = createDaemonApi(client);
    const queueNames = settings.dynamicSpecs ? settings.dynamicSpecs.map((s) => s.queue) : settings.queues;
    const queues: QueueRef[] = queueNames.length > 0 ? await api.resolveQueues(queueNames, { create: settings.createQueue }) : [await api.defaultQueue()];

    await warnWithoutNvidiaSmi(settings, env, log);
    const identity = daemonIdentity(config, settings, env, host);
    let lock;
    try {
      lock = await acquireLocalWorkerLock({
        stateDir: config.agent.stateDir,
        workerId: identity.idForSlot,
        meta: { matchKey: identity.matchKey, queues: [...settings.queues], controlSocket: options.controlSocket ?? null, sharedWith: options.sharedWith ?? [] },
      });
    } catch (error) {
      throw new DaemonSetupError(error instanceof Error ? error.message : String(error));
    }
    const workerLock = lock;
    cleanups.push('local worker lock', () => workerLock.release());
    const workerId = lock.workerId;
    let gpuEnv: Record<string, string | undefined> = settings.selection ? { ...gpuEnvFor(settings.selection) } : {};
    if (settings.docker && !settings.selection && (await queryGpus({ env: env as NodeJS.ProcessEnv, timeoutMs: 5_000 }).catch(() => undefined)) === null) {
      // Docker mode asks for every GPU unless told otherwise (clearml-agent's `--gpus all`); a
      // machine without NVIDIA's driver would fail every container on that, so it runs CPU-only.
      log('info', 'Docker mode on a machine without nvidia-smi: containers get no GPUs (as with --cpu-only)');
      gpuEnv = { ...gpuEnvFor({ kind: 'none' }) };
    }

    // Leftovers of crashed daemons: our predecessor with this worker id, and any other daemon of
    // this user on this machine that died without cleaning up (its tasks would stay in_progress).
    const registryDir = join(config.agent.stateDir, 'daemons');
    const registry = new RunningRegistry(join(registryDir, registryFileName(workerId)));
    const taskRunApi = createTaskRunApi(client);
    const leftovers = [...(await registry.readLeftovers()), ...(await claimCrashedRegistries(registryDir, registry.path))];
    const graceMs = Math.round(config.agent.abortGraceSec * 1000);
    const docker = settings.docker ? createDockerClient(dockerConnectionFromEnv(env)) : null;
    const reaped = await reapOrphans(leftovers, {
      graceMs,
      reapers: { ...(docker ? { container: containerReaper(docker) } : {}), ...options.reapers },
      markFailed: async (taskId, reason) => {
        log('warn', `Task ${taskId} was left running by a crashed daemon: ${reason}`);
        await api.markFailed(taskId, reason, `Changed by Tray Agent ${workerId}`).catch((error: unknown) => log('warn', `Could not mark ${taskId} failed: ${String(error)}`));
      },
    });
    await registry.clear();
    cleanups.push('running registry', () => registry.remove());
    if (docker) {
      // Containers of this worker the registry never heard of (killed between create and record).
      const reapedIds = new Set(reaped.map((r) => r.taskId));
      const orphans = await removeOrphanContainers(docker, workerId, { graceMs, endpoint: dockerConnectionFromEnv(env).endpoint }).catch((error: unknown) => {
        log('warn', `Could not look for orphan containers: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      });
      for (const orphan of orphans) {
        log('warn', `Removed orphan container ${orphan.containerId.slice(0, 12)}${orphan.taskId ? ` of task ${orphan.taskId}` : ''}`);
        if (orphan.taskId && !reapedIds.has(orphan.taskId)) {
          await api.markFailed(orphan.taskId, 'agent crashed while running it; its container was removed on restart', `Changed by Tray Agent ${workerId}`).catch(() => undefined);
        }
      }
    }
    // Lines the crashed daemons spooled but never shipped reach their tasks' logs through the outbox.

    const slots: SlotPolicy = settings.dynamicSpecs
      ? dynamicGpuSlotPolicy({ hostname: host, workerName: config.agent.workerName || env['CLEARML_WORKER_NAME'] || null, gpus: dynamicGpuIndices(settings.selection), queueSpecs: settings.dynamicSpecs })
      : settings.servicesMax !== false
        ? servicesSlotPolicy(workerId, gpuEnv, queues.length, settings.servicesMax)
        : singleSlotPolicy(workerId, gpuEnv, queues.length);

    let schedules = { uptime: settings.uptime, downtime: settings.downtime };
    const now = options.now ?? (() => new Date());
    await api.register(workerId, queues.map((q) => q.id)).catch((error: unknown) => log('warn', `workers.register failed: ${String(error)}`));
    cleanups.push('worker registration', () => withDeadline(api.unregister(workerId), SERVER_CALL_DEADLINE_MS));

    const sampler: MachineStatsSampler = createMachineStatsSampler({
      // Six samples per 30 s report are plenty for averages and keep an idle daemon near 0.1 % CPU.
      sampleIntervalMs: 5_000,
      gpuQuery: settings.selection?.kind === 'none' ? null : () => queryGpus({ env: env as NodeJS.ProcessEnv }),
      diskPath: config.agent.resourceMonitoring.diskUsePath,
      visibleGpus: settings.selection,
      defaultGpuUtilization: config.agent.resourceMonitoring.defaultGpuUtilization ?? 100,
      log: (line) => log('debug', line),
    });
    cleanups.push('machine stats sampler', () => sampler.stop());

    let watchers: ScheduleWatcher[] = [];
    cleanups.push('schedule watchers', () => {
      for (const w of watchers) w.stop();
    });
    // Schedule watchers poke the loop; the loop's reload re-creates watchers: tie the knot lazily.
    const loopRef: { current: DaemonLoop | null } = { current: null };
    const watchSchedules = (): void => {
      for (const w of watchers) w.stop();
      watchers = [schedules.uptime, schedules.downtime]
        .filter((s): s is Schedule => s !== null)
        .map((schedule) =>
          createScheduleWatcher({
            schedule,
            now,
            onEdge: (edge) => {
              log('info', `Schedule window ${edge.inside ? 'opened' : 'closed'} at ${edge.at.toISOString()}`);
              loopRef.current?.poke();
            },
          }),
        );
    };

    let lastForce: RuntimeForce | null = null;
    const daemonStartTicks = await processStartTicks(process.pid);
    const reload = async (): Promise<void> => {
      try {
        const reloaded = await loadDaemonConfig({ ...options, env });
        const next = resolveDaemonSettings(reloaded.config, env, flags);
        const changed = JSON.stringify([next.uptime, next.downtime]) !== JSON.stringify([schedules.uptime, schedules.downtime]);
        config = reloaded.config;
        settings = next;
        schedules = { uptime: next.uptime, downtime: next.downtime };
        if (changed) {
          log('info', 'Configuration reloaded: schedule changed');
          watchSchedules();
        }
      } catch (error) {
        log('error', `Configuration reload failed, keeping the previous one: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    // agent.reload_config re-reads every pass; the tray's preferences apply at once as well.
    let reloadRequested = false;

    const loop = new DaemonLoop({
      workerId,
      queues,
      orderFairness: settings.orderFairness,
      pollingIntervalMs: settings.pollingIntervalMs,
      api: {
        ...api,
        runtimeForce: async (id) => {
          const force = await api.runtimeForce(id);
          lastForce = force === 'unsupported' ? null : force;
          return force;
        },
      },
      slots,
      registry,
      now,
      log,
      daemonStartTicks,
      onTaskFinished: options.onTaskFinished,
      gate: (_queue, tags, force, at) => {
        const decision = decideActive({ queueTags: tags, runtimeForce: force, uptime: schedules.uptime, downtime: schedules.downtime, now: at });
        return { active: decision.active, reason: decision.reason, source: decision.source };
      },
      nextScheduleEdge: (at) => {
        const edges = [schedules.uptime, schedules.downtime].filter((s): s is Schedule => s !== null).map((s) => nextScheduleEdge(s, at)).filter((d): d is Date => d !== null);
        return edges.length ? new Date(Math.min(...edges.map((d) => d.getTime()))) : null;
      },
      machineGate:
        config.agent.skipBusyGpus && settings.selection && settings.selection.kind !== 'none' && !settings.dynamicSpecs
          ? createBusyGpuGate({ selection: settings.selection, ownProcessGroups: () => loopRef.current?.runningProcessGroups ?? new Set(), env })
          : undefined,
      beforePass: async () => {
        if (config.agent.reloadConfig || reloadRequested) {
          reloadRequested = false;
          await reload();
        }
      },
      runTask: (taskId, slot, stop, onHandle) =>
        runTask({
          taskId,
          workerId: slot.workerId,
          api: taskRunApi,
          settings: taskRunSettingsFromConfig(config, { gpuEnv: slot.gpuEnv, baseEnv: env, standalone: settings.standalone, optimizeLevel: settings.optimizeLevel || undefined }),
          executor: (options.executorFor ?? defaultExecutor)(settings, config, { client, workerId: slot.workerId, daemonWorkerId: workerId, env, onHandle }),
          monitoring: true,
          pulled: true,
          outbox,
          externalStop: stop,
          echo: options.echoTaskOutput,
          onLogLines: options.onTaskLogLines ? (lines) => options.onTaskLogLines!(taskId, lines) : undefined,
          onEvent: (event) => {
            if (event.type === 'process-started') {
              void processStartTicks(event.pid).then((startTicks) => onHandle({ kind: 'process-group', pgid: event.pid, startTicks }));
            }
            options.onTaskEvent?.(event);
          },
        }),
    });
    loopRef.current = loop;
    watchSchedules();

    const reporter = startWorkerReporter({
      api,
      buildReports: (stats) => loop.currentReports(stats).map((report) => (settings.childReportTags.length ? { ...report, tags: settings.childReportTags } : report)),
      takeMachineStats: async () => sampler.takeReport() as Record<string, unknown> | null,
      onError: (error) => log('debug', `status report failed: ${String(error)}`),
    });
    cleanups.push('status reporter', () => reporter.stop());

    log('info', `Worker ${workerId} listening to queues ${queues.map((q) => q.name).join(', ')} (${slots.description})`);
    const done = loop.run().finally(async () => {
      const failures = await cleanups.runAll(SERVER_CALL_DEADLINE_MS);
      for (const failure of failures) log('warn', `Shutdown step "${failure.name}" failed: ${String(failure.error)}`);
      log('info', `Worker ${workerId} stopped`);
    });

    return {
      workerId,
      queues,
      slotDescription: slots.description,
      done,
      client,
      config: () => config,
      state: () => loop.state,
      settings: () => settings,
      runningTasks: () => loop.runningTasks,
      lastForce: () => lastForce,
      drain: () => loop.drain(),
      undrain: () => loop.undrain(),
      stop: () => loop.stop(),
      stopTask: (taskId, reason) => loop.stopTask(taskId, reason),
      poke: () => {
        reloadRequested = true;
        loop.repoll();
      },
    };
  }
}
