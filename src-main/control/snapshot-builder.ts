// Builds the typed snapshot (src-shared/views.ts) from what the agent host holds. Pure: no I/O,
// so each view's rules (state line, schedule reason, GPU holders) are unit-tested directly.
import type { AgentSnapshot, ConnectionView, ErrorView, GpuView, PhaseView, QueueView, RecentTaskView, RunningTaskView, ScheduleView, WorkerView } from '../../src-shared/views.js';
import type { AgentConfig } from '../engine/config/index.js';
import type { DaemonHandle } from '../engine/daemon/start-daemon.js';
import type { DaemonFlags, DaemonPreferences } from '../engine/daemon/daemon-settings.js';
import { decideActive, nextScheduleEdge, type Schedule } from '../engine/schedule/index.js';
import { parseCudaVisibleDevices } from '../engine/gpu/index.js';
import { describeStopReason } from '../engine/task-run/stop-reason.js';
import type { GpuMonitor } from './gpu-monitor.js';

export interface ServerSideState {
  readonly queues: ReadonlyArray<{ id: string; name: string; tags: readonly string[]; depth: number }>;
  readonly force: { value: string; expiresAt: number | null } | null;
  readonly tags: ReadonlyMap<string, readonly string[]>;
  readonly user: { id: string; name: string } | null;
  readonly apiVersion?: string;
  /** Last refresh failure, null when the last one worked. */
  readonly error: string | null;
  readonly at: number;
}

export interface HostState {
  readonly version: string;
  readonly config: AgentConfig | null;
  readonly embedded: boolean;
  readonly daemons: ReadonlyArray<{ handle: DaemonHandle; flags: DaemonFlags; kind: 'daemon' | 'service'; startedAt: number }>;
  readonly tracks: ReadonlyMap<string, { taskId: string; name: string | null; phases: readonly PhaseView[]; startedAt: number }>;
  readonly recent: readonly RecentTaskView[];
  readonly errors: readonly ErrorView[];
  readonly serverSide: ServerSideState;
  readonly gpus: Pick<GpuMonitor, 'latest' | 'history'>;
  readonly preferences: DaemonPreferences & { autostart?: boolean };
  readonly hostname: string;
}

export function maskAccessKey(key: string | null | undefined): string | null {
  if (!key) return null;
  return key.length <= 4 ? '****' : `${key.slice(0, 4)}${'*'.repeat(Math.min(12, key.length - 4))}`;
}

function connectionView(state: HostState): ConnectionView {
  const api = state.config?.api;
  const serverUrl = api?.apiServer ?? null;
  const hasCredentials = Boolean(api?.credentials.accessKey && api?.credentials.secretKey);
  const side = state.serverSide;
  let connection: ConnectionView['state'] = 'connecting';
  let detail: string | null = null;
  if (!serverUrl || !hasCredentials) {
    connection = 'not-configured';
    detail = 'no server or credentials in clearml.conf: run the setup (tray-agent init)';
  } else if (side.error) {
    connection = /401|unauthori[sz]ed|invalid credentials/i.test(side.error) ? 'unauthorized' : 'unreachable';
    detail = `${side.error}; task logs are spooled on disk and sent when the server answers again`;
  } else if (side.at > 0) connection = 'connected';
  return {
    serverUrl,
    webUrl: api?.webServer ?? null,
    mode: state.embedded ? 'embedded' : 'remote',
    state: connection,
    user: side.user,
    apiVersion: side.apiVersion ?? null,
    accessKeyMasked: maskAccessKey(api?.credentials.accessKey),
    detail,
    since: side.at,
  };
}

function workerViews(state: HostState): WorkerView[] {
  return state.daemons.map(({ handle, kind, startedAt }) => {
    const settings = handle.settings();
    return {
      id: handle.workerId,
      kind,
      mode: settings.dynamicSpecs ? 'dynamic-gpus' : settings.servicesMax !== false ? 'services' : 'single',
      queueNames: handle.queues.map((q) => q.name),
      runningTaskIds: handle.runningTasks().map((t) => t.taskId),
      draining: handle.state().kind === 'draining',
      startedAt,
    };
  });
}

function queueViews(state: HostState): QueueView[] {
  const daemon = state.daemons[0]?.handle;
  const selected = daemon ? daemon.queues.map((q) => q.id) : [];
  const perTask = new Map((daemon?.settings().dynamicSpecs ?? []).map((s) => [s.queue, s.min] as const));
  return state.serverSide.queues.map((q) => {
    const order = selected.indexOf(q.id);
    const tags = q.tags;
    const force = tags.includes('force_workers:off') ? 'off' : tags.includes('force_workers:on') ? 'on' : null;
    const gpus = perTask.get(q.name) ?? perTask.get(q.id);
    return { id: q.id, name: q.name, depth: q.depth, selected: order >= 0, order: order >= 0 ? order : null, tags, forceWorkers: force, gpusPerTask: typeof gpus === 'number' ? gpus : null };
  });
}

/** GPU indices a task's CUDA_VISIBLE_DEVICES names (whole or fractional slots). */
function gpusOf(gpuEnv: Record<string, string | undefined>): number[] {
  const visible = gpuEnv['CUDA_VISIBLE_DEVICES'];
  if (!visible) return [];
  try {
    const parsed = parseCudaVisibleDevices(visible);
    return parsed.kind === 'list' ? parsed.devices.flatMap((d) => (d.kind === 'index' ? [d.index] : [])) : [];
  } catch {
    return [];
  }
}

function gpuViews(state: HostState, running: readonly RunningTaskView[]): GpuView[] {
  const sample = state.gpus.latest;
  if (!sample) return [];
  const daemon = state.daemons[0]?.handle;
  const selection = daemon?.settings().selection ?? null;
  const selectedIndexes = selection && selection.kind === 'list' ? new Set(selection.devices.map((d) => d.index)) : null;
  return sample.gpus.map((gpu) => {
    const holder = running.find((t) => t.gpus.includes(gpu.index));
    const history = state.gpus.history(gpu.index);
    return {
      index: gpu.index,
      uuid: gpu.uuid || null,
      name: gpu.name,
      // No selection (no --gpus, no *_VISIBLE_DEVICES) leaves every GPU visible to tasks: all are in use.
      selected: selection === null || selection.kind === 'all' ? true : selection.kind === 'none' ? false : selection.kind === 'uuids' ? selection.uuids.includes(gpu.uuid) : (selectedIndexes?.has(gpu.index) ?? false),
      utilizationPct: gpu.utilizationGpu,
      memoryUsedMiB: gpu.memoryUsedMiB,
      memoryTotalMiB: gpu.memoryTotalMiB,
      temperatureC: gpu.temperatureC,
      heldBy: holder ? { taskId: holder.id, taskName: holder.name, fraction: 1 } : null,
      processes: sample.processes
        .filter((p) => p.gpuUuid === gpu.uuid)
        .map((p) => ({ pid: p.pid, name: p.processName, memoryMiB: p.usedMemoryMiB, taskId: holder ? holder.id : null })),
      history: { at: history.at, utilizationPct: history.utilizationPct, memoryUsedMiB: history.memoryUsedMiB },
    };
  });
}

function runningViews(state: HostState): RunningTaskView[] {
  const views: RunningTaskView[] = [];
  for (const { handle } of state.daemons) {
    for (const task of handle.runningTasks()) {
      const track = state.tracks.get(task.taskId);
      const phases = track?.phases ?? [];
      const current = [...phases].reverse().find((p) => p.state === 'running') ?? phases.at(-1);
      views.push({
        id: task.taskId,
        name: track?.name ?? null,
        queueName: task.queueName,
        workerId: task.workerId,
        executor: 'venv',
        phase: current?.name ?? 'start',
        phases: [...phases],
        startedAt: task.startedAt,
        gpus: gpusOf(task.gpuEnv),
        stopping: task.stopping ? describeStopReason(task.stopping) : null,
      });
    }
  }
  return views;
}

function scheduleView(state: HostState, now: Date): ScheduleView {
  const daemon = state.daemons[0]?.handle;
  const settings = daemon?.settings();
  const uptime: Schedule | null = settings?.uptime ?? null;
  const downtime: Schedule | null = settings?.downtime ?? null;
  const firstQueue = daemon?.queues[0];
  const tags = firstQueue ? (state.serverSide.tags.get(firstQueue.id) ?? []) : [];
  // The host's own read of the server wins once it has one (it sees a cleared force at once).
  const force = state.serverSide.at > 0 ? state.serverSide.force : (daemon?.lastForce() ?? null);
  const decision = decideActive({ queueTags: tags, runtimeForce: force, uptime, downtime, now });
  const edges = [uptime, downtime].filter((s): s is Schedule => s !== null).map((s) => nextScheduleEdge(s, now)).filter((d): d is Date => d !== null);
  const forceValue = force && (force.value === 'on' || force.value === 'off') && (force.expiresAt === null || force.expiresAt > now.getTime()) ? { value: force.value as 'on' | 'off', expiresAt: force.expiresAt } : null;
  return {
    active: daemon ? decision.active : false,
    reason: daemon ? decision.reason : 'no daemon is running',
    source: decision.source === 'runtime-property' ? 'force' : decision.source,
    force: forceValue,
    uptime: settings?.uptimeText ?? null,
    downtime: settings?.downtimeText ?? null,
    nextChangeAt: edges.length ? Math.min(...edges.map((d) => d.getTime())) : null,
  };
}

function stateLine(running: readonly RunningTaskView[], schedule: ScheduleView, workers: readonly WorkerView[], connection: ConnectionView): { state: AgentSnapshot['state']; reason: string } {
  if (connection.state === 'not-configured') return { state: 'error', reason: 'Not set up — open the window to connect to a server' };
  if (connection.state === 'unauthorized') return { state: 'error', reason: 'The server refused the credentials' };
  const first = running[0];
  if (first) {
    const progress = first.phases.find((p) => p.name === first.phase)?.progress?.fraction;
    const pct = typeof progress === 'number' ? ` ${Math.round(progress * 100)} %` : '';
    return { state: 'running', reason: `Running ${first.name ?? first.id} — ${first.phase}${pct}${running.length > 1 ? ` (+${running.length - 1} more)` : ''}` };
  }
  if (connection.state === 'unreachable') return { state: 'error', reason: `Server unreachable — ${connection.serverUrl ?? ''}` };
  if (workers.length === 0) return { state: 'idle', reason: 'No daemon running' };
  if (!schedule.active) {
    const until = schedule.force?.expiresAt ? ` until ${new Date(schedule.force.expiresAt).toLocaleTimeString()}` : '';
    return { state: 'paused', reason: `Paused${until} — ${schedule.reason}` };
  }
  const queues = new Set(workers.flatMap((w) => w.queueNames));
  return { state: 'idle', reason: `Idle — listening to ${queues.size} queue${queues.size === 1 ? '' : 's'}` };
}

export function buildSnapshot(state: HostState, now = new Date()): AgentSnapshot {
  const connection = connectionView(state);
  const workers = workerViews(state);
  const running = runningViews(state);
  const schedule = scheduleView(state, now);
  const line = stateLine(running, schedule, workers, connection);
  const prefs = state.preferences;
  const daemonSettings = state.daemons[0]?.handle.settings();
  return {
    state: line.state,
    stateReason: line.reason,
    version: state.version,
    connection,
    workers,
    queues: queueViews(state),
    gpus: gpuViews(state, running),
    running,
    recent: [...state.recent],
    schedule,
    drain: { draining: workers.some((w) => w.draining), since: null },
    errors: [...state.errors],
    preferences: {
      queues: prefs.queues ?? daemonSettings?.queues ?? [],
      orderFairness: prefs.orderFairness ?? daemonSettings?.orderFairness ?? false,
      gpus: prefs.gpus ?? null,
      skipBusyGpus: prefs.skipBusyGpus ?? state.config?.agent.skipBusyGpus ?? false,
      autostart: prefs.autostart ?? false,
    },
    needsSetup: connection.state === 'not-configured',
  };
}
