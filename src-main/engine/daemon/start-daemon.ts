import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, applyEnvironmentSection, applyFilesSection, type AgentConfig } from '../config/index.js';
import { createApiClient, type ApiClient } from '../api/index.js';
import { apiClientOptionsFromConfig } from '../api/from-config.js';
import { queryGpus, resolveGpuSelection, gpuEnvFor, parseDynamicQueueSpec, dynamicGpuIndices, type GpuSelection, type DynamicQueueSpec } from '../gpu/index.js';
import { parseScheduleSpec, decideActive, nextScheduleEdge, createScheduleWatcher, type Schedule, type ScheduleWatcher } from '../schedule/index.js';
import { formWorkerId, acquireLocalWorkerLock, type LocalWorkerLock } from '../worker-identity/index.js';
import { createMachineStatsSampler } from '../metrics/index.js';
import { openTaskOutbox } from '../logs/index.js';
import { runTask } from '../task-run/run-task.js';
import type { TaskRunEvent } from '../task-run/context.js';
import { createTaskRunApi } from '../task-run/api-adapter.js';
import { taskRunSettingsFromConfig } from '../task-run/settings-from-config.js';
import { createDaemonApi } from './api-adapter.js';
import { DaemonLoop, type DaemonLogLevel, type DaemonState } from './daemon.js';
import { RunningRegistry } from './running-registry.js';
import { reapOrphans } from './orphan-reaper.js';
import { singleSlotPolicy, servicesSlotPolicy, type SlotPolicy } from './slots.js';
import { dynamicGpuSlotPolicy } from './dynamic-gpu-slots.js';
import { startWorkerReporter } from './worker-reporter.js';
import { createBusyGpuGate } from './busy-gpu-gate.js';
import type { QueueRef } from './daemon-api.js';

/** The `daemon` flags (clearml-agent's, reference §1.3–1.4), already split from argv. */
export interface DaemonFlags {
  readonly queues: readonly string[];
  readonly createQueue?: boolean;
  readonly orderFairness?: boolean;
  readonly pollingIntervalSec?: number;
  readonly gpus?: string | null;
  readonly cpuOnly?: boolean;
  readonly dynamicGpus?: boolean;
  /** false = off; null = unlimited; N = at most N services at once. */
  readonly servicesMode?: number | null | false;
  readonly uptime?: readonly string[] | null;
  readonly downtime?: readonly string[] | null;
  readonly configFile?: string;
  readonly childReportTags?: readonly string[];
  /** --standalone-mode: no clone, no installs; tasks run with the code and interpreter at hand. */
  readonly standalone?: boolean;
  /** -O / -OO for the task's python. */
  readonly optimizeLevel?: number;
}

/** A flag or config value the daemon cannot work with; the message names it and the fix. */
export class DaemonSetupError extends Error {
  override readonly name = 'DaemonSetupError';
}

export interface DaemonHandle {
  readonly workerId: string;
  readonly queues: readonly QueueRef[];
  readonly slotDescription: string;
  readonly done: Promise<void>;
  state(): DaemonState;
  drain(): void;
  stop(): void;
}

export interface StartDaemonOptions {
  readonly flags: DaemonFlags;
  readonly log: (level: DaemonLogLevel, text: string) => void;
  /** Echo of task output (foreground mode prints it). */
  readonly echoTaskOutput?: (text: string) => void;
  readonly env?: Record<string, string | undefined>;
  /** Progress of every task run (phases, process start, finish): UI, benchmarks. */
  readonly onTaskEvent?: (event: TaskRunEvent) => void;
  readonly hostname?: string;
  readonly now?: () => Date;
}

/** Default pull pause when the server has no long-poll. clearml-agent: 5 s minimum. */
export const defaultPollingIntervalSec = 5;
/** Our minimum: lower than clearml-agent's 5 s, still not a busy loop. */
export const minPollingIntervalSec = 0.1;

interface ValidatedFlags {
  pollingIntervalMs: number;
  selection: GpuSelection | null;
  dynamicSpecs: DynamicQueueSpec[] | null;
  uptime: Schedule | null;
  downtime: Schedule | null;
}

/** Validates the flags up front, so a bad value fails before anything registers. */
export function validateDaemonFlags(flags: DaemonFlags, config: AgentConfig, env: Record<string, string | undefined>): ValidatedFlags {
  const polling = flags.pollingIntervalSec ?? defaultPollingIntervalSec;
  if (!Number.isFinite(polling) || polling < minPollingIntervalSec) {
    throw new DaemonSetupError(`--polling-interval "${flags.pollingIntervalSec}": expected seconds ≥ ${minPollingIntervalSec}`);
  }
  if (flags.servicesMode !== undefined && flags.servicesMode !== false && flags.dynamicGpus) {
    throw new DaemonSetupError('--services-mode and --dynamic-gpus cannot be combined; run two daemons');
  }
  if (typeof flags.servicesMode === 'number' && (!Number.isInteger(flags.servicesMode) || flags.servicesMode < 1)) {
    throw new DaemonSetupError(`--services-mode "${flags.servicesMode}": expected a whole number ≥ 1 (or no value for unlimited)`);
  }
  // Services run in the background without GPUs, as clearml-agent forces --cpu-only there.
  const servicesMode = flags.servicesMode !== undefined && flags.servicesMode !== false;
  const selection = resolveGpuSelection({ gpusFlag: servicesMode ? null : (flags.gpus ?? null), cpuOnly: servicesMode || (flags.cpuOnly ?? false), env });
  let dynamicSpecs: DynamicQueueSpec[] | null = null;
  if (flags.dynamicGpus) {
    dynamicGpuIndices(selection);
    if (flags.queues.length === 0) throw new DaemonSetupError('--dynamic-gpus needs --queue NAME=GPUS entries, e.g. --queue dual=2 single=1');
    dynamicSpecs = parseDynamicQueueSpec(flags.queues);
  }
  const uptimeText = flags.uptime ?? config.agent.uptime;
  const downtimeText = flags.downtime ?? config.agent.downtime;
  const parse = (entries: readonly string[] | null | undefined, name: string): Schedule | null => {
    if (!entries || entries.length === 0) return null;
    try {
      return parseScheduleSpec(entries);
    } catch (error) {
      throw new DaemonSetupError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  return {
    pollingIntervalMs: Math.round(polling * 1000),
    selection,
    dynamicSpecs,
    uptime: parse(uptimeText, flags.uptime ? '--uptime' : 'agent.uptime'),
    downtime: parse(downtimeText, flags.downtime ? '--downtime' : 'agent.downtime'),
  };
}

function registryFileName(workerId: string): string {
  return `${workerId.replace(/[^A-Za-z0-9._-]/g, '_')}.running.json`;
}

/**
 * Starts `tray-agent daemon`: config, login, queues, worker id and its local lock, leftovers of
 * a crashed predecessor, registration and status reports, then the pull loop. Resolves once
 * the daemon is pulling; `done` resolves after it drained or stopped and unregistered.
 */
export async function startDaemon(options: StartDaemonOptions): Promise<DaemonHandle> {
  const { flags, log } = options;
  const env = options.env ?? { ...process.env };
  const host = options.hostname ?? osHostname();
  const loaded = await loadAgentConfig({ configFile: flags.configFile, env });
  let config = loaded.config;
  for (const warning of loaded.warnings) log('warn', warning);
  const validated = validateDaemonFlags(flags, config, env);
  applyEnvironmentSection(config, env);
  if (config.agent.applyFiles) await applyFilesSection(config, { env });

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
  outbox.drain();
  await client.login().catch(async (error: unknown) => {
    await outbox.close();
    throw error;
  });
  const api = createDaemonApi(client);
  const queues: QueueRef[] = validated.dynamicSpecs
    ? await api.resolveQueues(validated.dynamicSpecs.map((s) => s.queue), { create: flags.createQueue ?? false })
    : flags.queues.length > 0
      ? await api.resolveQueues(flags.queues, { create: flags.createQueue ?? false })
      : [await api.defaultQueue()];

  const servicesMode = flags.servicesMode !== undefined && flags.servicesMode !== false;
  const dynamicRole = validated.dynamicSpecs ? { kind: 'daemon' as const, gpuSpec: validated.selection && validated.selection.kind === 'list' ? validated.selection.spec : '' } : null;
  let lock: LocalWorkerLock;
  try {
    lock = await acquireLocalWorkerLock({
      stateDir: config.agent.stateDir,
      workerId: (slot) =>
        formWorkerId({ hostname: host, workerId: config.agent.workerId, workerName: config.agent.workerName, gpus: validated.selection, cpuOnly: flags.cpuOnly ?? false, slot, dynamic: dynamicRole, env }),
    });
  } catch (error) {
    throw new DaemonSetupError(error instanceof Error ? error.message : String(error));
  }
  const workerId = lock.workerId;
  const gpuEnv = validated.selection ? { ...gpuEnvFor(validated.selection) } : {};

  // Leftovers of a predecessor with this worker id that died without cleaning up.
  const registry = new RunningRegistry(join(config.agent.stateDir, 'daemons', registryFileName(workerId)));
  const taskRunApi = createTaskRunApi(client);
  await reapOrphans(await registry.readLeftovers(), {
    graceMs: Math.round(config.agent.abortGraceSec * 1000),
    markFailed: async (taskId, reason) => {
      log('warn', `Task ${taskId} was left running by a crashed daemon: ${reason}`);
      await api.markFailed(taskId, reason, `Changed by Tray Agent ${workerId}`).catch((error: unknown) => log('warn', `Could not mark ${taskId} failed: ${String(error)}`));
    },
  });
  await registry.clear();
  // Lines the crashed daemon spooled but never shipped reach the task's log through the outbox.

  const slots: SlotPolicy = validated.dynamicSpecs
    ? dynamicGpuSlotPolicy({ hostname: host, workerName: config.agent.workerName || env['CLEARML_WORKER_NAME'] || null, gpus: dynamicGpuIndices(validated.selection), queueSpecs: validated.dynamicSpecs })
    : servicesMode
      ? servicesSlotPolicy(workerId, gpuEnv, queues.length, flags.servicesMode === null ? null : (flags.servicesMode as number))
      : singleSlotPolicy(workerId, gpuEnv, queues.length);

  let schedules = { uptime: validated.uptime, downtime: validated.downtime };
  const now = options.now ?? (() => new Date());
  await api.register(workerId, queues.map((q) => q.id)).catch((error: unknown) => log('warn', `workers.register failed: ${String(error)}`));

  const sampler = createMachineStatsSampler({
    // Six samples per 30 s report are plenty for averages and keep an idle daemon near 0.1 % CPU.
    sampleIntervalMs: 5_000,
    gpuQuery: validated.selection?.kind === 'none' ? null : () => queryGpus({ env: env as NodeJS.ProcessEnv }),
    diskPath: config.agent.resourceMonitoring.diskUsePath,
    visibleGpus: validated.selection,
    defaultGpuUtilization: config.agent.resourceMonitoring.defaultGpuUtilization ?? 100,
    log: (line) => log('debug', line),
  });

  let watchers: ScheduleWatcher[] = [];
  // Schedule watchers poke the loop; the loop's reload re-creates watchers: tie the knot lazily.
  const loopRef: { current: DaemonLoop | null } = { current: null };
  const watchSchedules = (): void => {
    for (const w of watchers) w.stop();
    watchers = [schedules.uptime, schedules.downtime]
      .filter((s): s is Schedule => s !== null)
      .map((schedule) => createScheduleWatcher({ schedule, now, onEdge: (edge) => {
        log('info', `Schedule window ${edge.inside ? 'opened' : 'closed'} at ${edge.at.toISOString()}`);
        loopRef.current?.poke();
      } }));
  };

  const loop = new DaemonLoop({
    workerId,
    queues,
    orderFairness: flags.orderFairness ?? false,
    pollingIntervalMs: validated.pollingIntervalMs,
    api,
    slots,
    registry,
    now,
    log,
    gate: (_queue, tags, force, at) => {
      const decision = decideActive({ queueTags: tags, runtimeForce: force, uptime: schedules.uptime, downtime: schedules.downtime, now: at });
      return { active: decision.active, reason: decision.reason };
    },
    nextScheduleEdge: (at) => {
      const edges = [schedules.uptime, schedules.downtime].filter((s): s is Schedule => s !== null).map((s) => nextScheduleEdge(s, at)).filter((d): d is Date => d !== null);
      return edges.length ? new Date(Math.min(...edges.map((d) => d.getTime()))) : null;
    },
    machineGate:
      config.agent.skipBusyGpus && validated.selection && validated.selection.kind !== 'none' && !validated.dynamicSpecs
        ? createBusyGpuGate({ selection: validated.selection, ownProcessGroups: () => loopRef.current?.runningProcessGroups ?? new Set(), env })
        : undefined,
    beforePass: config.agent.reloadConfig
      ? async () => {
          // agent.reload_config: new uptime/downtime and task settings take effect on the next pass.
          try {
            const reloaded = await loadAgentConfig({ configFile: flags.configFile, env });
            const next = validateDaemonFlags(flags, reloaded.config, env);
            const changed = JSON.stringify([next.uptime, next.downtime]) !== JSON.stringify([schedules.uptime, schedules.downtime]);
            config = reloaded.config;
            schedules = { uptime: next.uptime, downtime: next.downtime };
            if (changed) {
              log('info', 'Configuration reloaded: schedule changed');
              watchSchedules();
            }
          } catch (error) {
            log('error', `Configuration reload failed, keeping the previous one: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      : undefined,
    runTask: (taskId, slot, stop, onPid) =>
      runTask({
        taskId,
        workerId: slot.workerId,
        api: taskRunApi,
        settings: taskRunSettingsFromConfig(config, { gpuEnv: slot.gpuEnv, baseEnv: env, standalone: flags.standalone, optimizeLevel: flags.optimizeLevel }),
        monitoring: true,
        pulled: true,
        outbox,
        externalStop: stop,
        echo: options.echoTaskOutput,
        onEvent: (event) => {
          if (event.type === 'process-started') onPid(event.pid);
          options.onTaskEvent?.(event);
        },
      }),
  });
  loopRef.current = loop;
  watchSchedules();

  const reporter = startWorkerReporter({
    api,
    buildReports: (stats) => loop.currentReports(stats).map((report) => (flags.childReportTags?.length ? { ...report, tags: flags.childReportTags } : report)),
    takeMachineStats: async () => sampler.takeReport() as Record<string, unknown> | null,
    onError: (error) => log('debug', `status report failed: ${String(error)}`),
  });

  log('info', `Worker ${workerId} listening to queues ${queues.map((q) => q.name).join(', ')} (${slots.description})`);
  const done = loop.run().finally(async () => {
    reporter.stop();
    sampler.stop();
    for (const w of watchers) w.stop();
    // Bounded: with the server down, a stop must not wait for the client's retries (hours).
    await Promise.race([api.unregister(workerId).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
    await registry.remove();
    await lock.release();
    await outbox.close();
    log('info', `Worker ${workerId} stopped`);
  });

  return {
    workerId,
    queues,
    slotDescription: slots.description,
    done,
    state: () => loop.state,
    drain: () => loop.drain(),
    stop: () => loop.stop(),
  };
}
