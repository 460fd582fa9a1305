// `daemon` flags as a configuration layer, and the daemon's settings read back from the one
// merged configuration (defaults ← clearml.conf ← CLEARML_* ← flags ← tray preferences). A bad
// value fails here, before anything registers, naming the flag or key it came from.
import type { AgentConfig, ConfigOverrideLayer, ConfigTree } from '../config/index.js';
import { resolveGpuSelection, parseDynamicQueueSpec, dynamicGpuIndices, type GpuSelection, type DynamicQueueSpec } from '../gpu/index.js';
import { parseScheduleSpec, type Schedule } from '../schedule/index.js';

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
  /** --standalone-mode: no clone, no installs: tasks run with the code and interpreter at hand. */
  readonly standalone?: boolean;
  /** -O / -OO for the task's python. */
  readonly optimizeLevel?: number;
  /** --docker [IMAGE [ARGS…]]: null = the configured default image. */
  readonly docker?: { readonly image: string | null; readonly args: readonly string[] } | null;
}

/** What the tray keeps for the user (electron-store), applied as the last layer. */
export interface DaemonPreferences {
  readonly queues?: readonly string[];
  readonly orderFairness?: boolean;
  readonly gpus?: string | null;
  readonly skipBusyGpus?: boolean;
  readonly uptime?: readonly string[] | null;
  readonly downtime?: readonly string[] | null;
}

/** A flag or config value the daemon cannot work with; the message names it and the fix. */
export class DaemonSetupError extends Error {
  override readonly name = 'DaemonSetupError';
}

/** Default pull pause when the server has no long-poll. clearml-agent: 5 s minimum. */
export const defaultPollingIntervalSec = 5;
/** Our minimum: lower than clearml-agent's 5 s, still not a busy loop. */
export const minPollingIntervalSec = 0.1;

/** The flags that were given, as snake_case keys of `agent` (and `agent.daemon`). */
export function daemonFlagsLayer(flags: DaemonFlags): ConfigOverrideLayer {
  const daemon: ConfigTree = {};
  const agent: ConfigTree = {};
  if (flags.queues.length > 0) daemon['queues'] = [...flags.queues];
  if (flags.orderFairness !== undefined) daemon['order_fairness'] = flags.orderFairness;
  if (flags.gpus !== undefined && flags.gpus !== null) daemon['gpus'] = flags.gpus;
  if (flags.cpuOnly !== undefined) daemon['cpu_only'] = flags.cpuOnly;
  if (flags.dynamicGpus !== undefined) daemon['dynamic_gpus'] = flags.dynamicGpus;
  if (flags.servicesMode !== undefined && flags.servicesMode !== false) daemon['services_mode'] = flags.servicesMode === null ? true : flags.servicesMode;
  if (flags.pollingIntervalSec !== undefined) daemon['polling_interval_sec'] = flags.pollingIntervalSec;
  if (flags.createQueue !== undefined) daemon['create_queue'] = flags.createQueue;
  if (flags.childReportTags !== undefined) daemon['child_report_tags'] = [...flags.childReportTags];
  if (flags.standalone !== undefined) daemon['standalone_mode'] = flags.standalone;
  if (flags.optimizeLevel !== undefined) daemon['optimize_level'] = flags.optimizeLevel;
  if (flags.docker !== undefined && flags.docker !== null) daemon['docker'] = { image: flags.docker.image, arguments: [...flags.docker.args] };
  if (flags.uptime) agent['uptime'] = [...flags.uptime];
  if (flags.downtime) agent['downtime'] = [...flags.downtime];
  agent['daemon'] = daemon;
  return { name: 'command-line flags', tree: { agent } };
}

/** The tray's preferences as the last configuration layer. */
export function preferencesLayer(preferences: DaemonPreferences): ConfigOverrideLayer {
  const daemon: ConfigTree = {};
  const agent: ConfigTree = { daemon };
  if (preferences.queues && preferences.queues.length > 0) daemon['queues'] = [...preferences.queues];
  if (preferences.orderFairness !== undefined) daemon['order_fairness'] = preferences.orderFairness;
  if (preferences.gpus !== undefined && preferences.gpus !== null) daemon['gpus'] = preferences.gpus;
  if (preferences.skipBusyGpus !== undefined) agent['skip_busy_gpus'] = preferences.skipBusyGpus;
  if (preferences.uptime !== undefined) agent['uptime'] = preferences.uptime ? [...preferences.uptime] : null;
  if (preferences.downtime !== undefined) agent['downtime'] = preferences.downtime ? [...preferences.downtime] : null;
  return { name: 'tray preferences', tree: { agent } };
}

/** Everything the daemon decides from the configuration, checked. */
export interface DaemonSettings {
  readonly queues: readonly string[];
  readonly orderFairness: boolean;
  readonly pollingIntervalMs: number;
  readonly selection: GpuSelection | null;
  readonly cpuOnly: boolean;
  readonly dynamicSpecs: DynamicQueueSpec[] | null;
  /** false = off; null = unlimited; N = at most N. */
  readonly servicesMax: number | null | false;
  readonly uptime: Schedule | null;
  readonly downtime: Schedule | null;
  readonly uptimeText: readonly string[] | null;
  readonly downtimeText: readonly string[] | null;
  readonly createQueue: boolean;
  readonly childReportTags: readonly string[];
  readonly standalone: boolean;
  readonly optimizeLevel: number;
  readonly docker: { readonly image: string | null; readonly args: readonly string[] } | null;
}

/** How a value is named in errors: the flag when one was given, else the config key. */
function namer(flags: Partial<DaemonFlags> | undefined) {
  return (flag: keyof DaemonFlags, flagName: string, key: string): string => (flags && flags[flag] !== undefined && flags[flag] !== null ? flagName : key);
}

function servicesMaxFrom(value: unknown, name: string): number | null | false {
  if (value === false || value === null || value === undefined || value === 'false') return false;
  if (value === true || value === 'true') return null;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new DaemonSetupError(`${name} "${String(value)}": expected a whole number ≥ 1 (or no value for unlimited)`);
  return n;
}

function dockerFrom(value: unknown): DaemonSettings['docker'] {
  if (value === null || value === undefined || value === false) return null;
  if (value === true) return { image: null, args: [] };
  if (typeof value === 'string') return { image: value, args: [] };
  const tree = value as { image?: unknown; arguments?: unknown };
  const image = typeof tree.image === 'string' && tree.image !== '' ? tree.image : null;
  const args = Array.isArray(tree.arguments) ? tree.arguments.map(String) : [];
  return { image, args };
}

export function resolveDaemonSettings(config: AgentConfig, env: Record<string, string | undefined>, flags?: Partial<DaemonFlags>): DaemonSettings {
  const named = namer(flags);
  const daemon = config.agent.daemon;
  const pollingRaw = daemon.pollingIntervalSec ?? defaultPollingIntervalSec;
  const polling = typeof pollingRaw === 'number' ? pollingRaw : Number(pollingRaw);
  if (!Number.isFinite(polling) || polling < minPollingIntervalSec) {
    throw new DaemonSetupError(`${named('pollingIntervalSec', '--polling-interval', 'agent.daemon.polling_interval_sec')} "${String(pollingRaw)}": expected seconds ≥ ${minPollingIntervalSec}`);
  }
  const servicesMax = servicesMaxFrom(daemon.servicesMode, named('servicesMode', '--services-mode', 'agent.daemon.services_mode'));
  if (servicesMax !== false && daemon.dynamicGpus) {
    throw new DaemonSetupError('--services-mode and --dynamic-gpus cannot be combined; run two daemons');
  }
  // Services run in the background without GPUs, as clearml-agent forces --cpu-only there.
  const servicesMode = servicesMax !== false;
  const selection = resolveGpuSelection({ gpusFlag: servicesMode ? null : (daemon.gpus ?? null), cpuOnly: servicesMode || daemon.cpuOnly, env });
  let dynamicSpecs: DynamicQueueSpec[] | null = null;
  if (daemon.dynamicGpus) {
    dynamicGpuIndices(selection);
    if (daemon.queues.length === 0) throw new DaemonSetupError('--dynamic-gpus needs --queue NAME=GPUS entries, e.g. --queue dual=2 single=1');
    dynamicSpecs = parseDynamicQueueSpec(daemon.queues);
  }
  const parse = (entries: readonly string[] | null | undefined, name: string): Schedule | null => {
    if (!entries || entries.length === 0) return null;
    try {
      return parseScheduleSpec(entries);
    } catch (error) {
      throw new DaemonSetupError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const uptimeText = config.agent.uptime && config.agent.uptime.length > 0 ? config.agent.uptime : null;
  const downtimeText = config.agent.downtime && config.agent.downtime.length > 0 ? config.agent.downtime : null;
  return {
    queues: daemon.queues,
    orderFairness: daemon.orderFairness,
    pollingIntervalMs: Math.round(polling * 1000),
    selection,
    cpuOnly: daemon.cpuOnly,
    dynamicSpecs,
    servicesMax,
    uptime: parse(uptimeText, named('uptime', '--uptime', 'agent.uptime')),
    downtime: parse(downtimeText, named('downtime', '--downtime', 'agent.downtime')),
    uptimeText,
    downtimeText,
    createQueue: daemon.createQueue,
    childReportTags: daemon.childReportTags,
    standalone: daemon.standaloneMode,
    optimizeLevel: daemon.optimizeLevel,
    docker: dockerFrom(daemon.docker),
  };
}
