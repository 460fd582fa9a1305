// TEST DOUBLE of the agent host (src-main/control): a scripted BridgeHandler that keeps an
// AgentSnapshot in memory and answers every bridge call the way the host is specified to, so the
// transports and every view can be driven before (and besides) the real host. GPUs come from the
// recorded H200 nvidia-smi output; schedule entries are checked with the engine's own parser; the
// setup calls go to a real SetupService when one is given. Swap it for createAgentHost(...) to run
// the same browser tests end to end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AgentSnapshot,
  BridgeArgs,
  BridgeCallName,
  BridgeEventName,
  BridgeEvents,
  BridgeHandler,
  BridgeResult,
  GpuView,
  LogLineView,
  PhaseView,
  QueueView,
  RecentTaskView,
  RunningTaskView,
} from '../../src-shared/bridge.js';
import { parseComputeAppsCsv, parseGpuQueryCsv } from '../../src-main/engine/gpu/nvidia-smi-parse.js';
import { parseScheduleSpec } from '../../src-main/engine/schedule/schedule-spec.js';
import { setupBridgeCalls, type SetupService } from '../../src-main/control/setup/index.js';

type Listener = <E extends BridgeEventName>(event: E, payload: BridgeEvents[E]) => void;
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

const fixtures = `${join(import.meta.dirname, 'fake-nvidia-smi', 'h200')}/`;
const HOUR = 3_600_000;

function fixtureGpus(now: number): GpuView[] {
  const busy = parseGpuQueryCsv(readFileSync(`${fixtures}query-gpu-busy.csv`, 'utf8'));
  const idle = parseGpuQueryCsv(readFileSync(`${fixtures}query-gpu-idle.csv`, 'utf8'));
  const apps = parseComputeAppsCsv(readFileSync(`${fixtures}compute-apps-busy.csv`, 'utf8'));
  // The recording has one H200; the second card is the idle recording of the same device.
  if (!busy[0] || !idle[0]) throw new Error('the H200 recordings are missing');
  const cards = [busy[0], { ...idle[0], index: 1, uuid: `${idle[0].uuid}-b` }];
  return cards.map((gpu, position) => {
    const history = { at: [] as number[], utilizationPct: [] as number[], memoryUsedMiB: [] as number[] };
    for (let i = 59; i >= 0; i -= 1) {
      history.at.push(now - i * 2_000);
      const base = gpu.utilizationGpu ?? 0;
      history.utilizationPct.push(Math.max(0, Math.min(100, base - (position === 0 ? (i % 7) * 6 : 0))));
      history.memoryUsedMiB.push((gpu.memoryUsedMiB ?? 0) - (position === 0 ? (i % 5) * 200 : 0));
    }
    return {
      index: gpu.index,
      uuid: gpu.uuid,
      name: gpu.name,
      selected: true,
      utilizationPct: gpu.utilizationGpu,
      memoryUsedMiB: gpu.memoryUsedMiB,
      memoryTotalMiB: gpu.memoryTotalMiB,
      temperatureC: gpu.temperatureC,
      heldBy: null,
      processes: apps
        .filter((app) => app.gpuUuid === gpu.uuid)
        .map((app) => ({ pid: app.pid, name: app.processName, memoryMiB: app.usedMemoryMiB, taskId: null })),
      history,
    };
  });
}

function phases(now: number, current: 'workspace' | 'environment' | 'launch' | 'run' | 'done'): PhaseView[] {
  const order = ['start', 'workspace', 'environment', 'launch', 'run'] as const;
  const durations = [400, 2_600, 41_000, 900, 0];
  let at = now - 60_000;
  const index = current === 'done' ? order.length : order.indexOf(current);
  return order.map((name, i) => {
    const startedAt = i <= index ? at : null;
    const state = i < index ? 'done' : i === index ? 'running' : 'pending';
    const durationMs = i < index ? (durations[i] ?? 0) : null;
    if (i < index) at += durations[i] ?? 0;
    const progress = state === 'running' && name === 'environment' ? { fraction: 0.63, label: 'installing torch==2.5.1 (14 of 22 packages)' } : null;
    return { name, state, startedAt, durationMs, progress };
  });
}

export interface ScriptedHostOptions {
  now?: () => number;
  /** Real setup logic for the wizard calls; without it they reject. */
  setup?: SetupService;
  /** Starts on the setup wizard (no clearml.conf). */
  needsSetup?: boolean;
  /** An empty agent: no queues picked, no tasks, no GPUs. */
  empty?: boolean;
}

/** TEST DOUBLE of the agent host; see the file comment. */
export class ScriptedAgentHost implements BridgeHandler {
  readonly calls: Array<{ name: BridgeCallName; args: unknown }> = [];
  readonly logs = new Map<string, LogLineView[]>();
  #listeners = new Set<Listener>();
  #now: () => number;
  #setup: SetupService | undefined;
  #snapshot: Mutable<AgentSnapshot>;
  #autostart = false;

  constructor(options: ScriptedHostOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#setup = options.setup;
    const now = this.#now();
    const queues: QueueView[] = [
      { id: 'q-default', name: 'default', depth: 3, selected: true, order: 0, tags: [], forceWorkers: null, gpusPerTask: 1 },
      { id: 'q-gpu-long', name: 'gpu-long-running-experiments-with-a-very-long-queue-name', depth: 12, selected: true, order: 1, tags: ['force_workers:on'], forceWorkers: 'on', gpusPerTask: 2 },
      { id: 'q-cpu', name: 'cpu-only', depth: 0, selected: false, order: null, tags: [], forceWorkers: null, gpusPerTask: null },
      { id: 'q-services', name: 'services', depth: 1, selected: false, order: null, tags: ['force_workers:off'], forceWorkers: 'off', gpusPerTask: null },
    ];
    const running: RunningTaskView[] = [
      {
        id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
        name: 'resnet50 fine-tune on imagenet-subset (lr sweep 3 of 8)',
        queueName: 'default',
        workerId: 'lab-ws-07:dgpu0,1',
        executor: 'venv',
        phase: 'environment',
        phases: phases(now, 'environment'),
        startedAt: now - 60_000,
        gpus: [0],
        stopping: null,
      },
    ];
    const recent: RecentTaskView[] = [
      { id: 'f0e1d2c3b4a5968778695a4b3c2d1e0f', name: 'hello-world sample', status: 'completed', statusReason: null, startedAt: now - 3 * HOUR, finishedAt: now - 3 * HOUR + 95_000, phases: phases(now - 3 * HOUR, 'done'), exitCode: 0 },
      { id: '0123456789abcdef0123456789abcdef', name: 'bert pretraining shard 4', status: 'failed', statusReason: 'Process failed, exit code 1', startedAt: now - 5 * HOUR, finishedAt: now - 5 * HOUR + 400_000, phases: phases(now - 5 * HOUR, 'done'), exitCode: 1 },
      { id: 'aaaabbbbccccddddeeeeffff00001111', name: 'data prep', status: 'stopped', statusReason: 'aborted from Tray Agent', startedAt: now - 26 * HOUR, finishedAt: now - 26 * HOUR + 30_000, phases: phases(now - 26 * HOUR, 'done'), exitCode: null },
    ];
    const gpus = fixtureGpus(now);
    const gpu0 = gpus[0];
    if (gpu0) gpus[0] = { ...gpu0, heldBy: { taskId: running[0]!.id, taskName: running[0]!.name, fraction: 1 } };
    this.#snapshot = {
      state: 'running',
      stateReason: '',
      version: '0.1.0',
      connection: {
        serverUrl: 'http://127.0.0.1:8008',
        webUrl: 'http://127.0.0.1:8008',
        mode: 'embedded',
        state: 'connected',
        user: { id: 'u-1', name: 'Tray Agent' },
        apiVersion: '2.31',
        accessKeyMasked: 'US1I**************************',
        detail: null,
        since: now - 2 * HOUR,
      },
      workers: [{ id: 'lab-ws-07:dgpu0,1', kind: 'daemon', mode: 'dynamic-gpus', queueNames: ['default', queues[1]!.name], runningTaskIds: [running[0]!.id], draining: false, startedAt: now - 2 * HOUR }],
      queues,
      gpus,
      running,
      recent,
      schedule: { active: true, reason: '', source: 'default', force: null, uptime: null, downtime: null, nextChangeAt: null },
      drain: { draining: false, since: null },
      errors: [{ at: now - 40 * 60_000, source: 'connection', message: 'server unreachable for 12 s (connection refused); logs were spooled and sent after it came back' }],
      preferences: { queues: ['default', queues[1]!.name], orderFairness: false, gpus: null, skipBusyGpus: true, autostart: false },
      needsSetup: options.needsSetup ?? false,
    };
    if (options.empty) {
      Object.assign(this.#snapshot, { queues: queues.map((q) => ({ ...q, selected: false, order: null })), running: [], recent: [], gpus: [], workers: [], errors: [] });
      this.#snapshot.preferences = { ...this.#snapshot.preferences, queues: [] };
    }
    this.#derive();
  }

  get snapshot(): AgentSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit<E extends BridgeEventName>(event: E, payload: BridgeEvents[E]): void {
    for (const listener of this.#listeners) listener(event, payload);
  }

  /** Replaces parts of the snapshot (a test's script) and announces it. */
  update(patch: Partial<Mutable<AgentSnapshot>>): void {
    Object.assign(this.#snapshot, patch);
    this.#changed();
  }

  /** Appends `count` log lines to a task (levels, ANSI colours, stderr) and emits them as one batch. */
  appendLog(taskId: string, count: number, make?: (seq: number) => Partial<LogLineView>): LogLineView[] {
    const lines = this.logs.get(taskId) ?? [];
    this.logs.set(taskId, lines);
    const batch: LogLineView[] = [];
    for (let i = 0; i < count; i += 1) {
      const seq = lines.length;
      const line: LogLineView = { ...sampleLogLine(seq, this.#now()), ...make?.(seq), seq };
      lines.push(line);
      batch.push(line);
    }
    this.emit('taskLog', { taskId, lines: batch });
    return batch;
  }

  async handle<N extends BridgeCallName>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>> {
    this.calls.push({ name, args });
    return (await this.#dispatch(name, args as never)) as BridgeResult<N>;
  }

  async #dispatch(name: BridgeCallName, args: Record<string, unknown>): Promise<unknown> {
    const s = this.#snapshot;
    switch (name) {
      case 'getSnapshot':
      case 'reloadConfig':
        return s;
      case 'pause':
        s.schedule = { ...s.schedule, force: { value: 'off', expiresAt: (args.until as number | null) ?? null } };
        return this.#changed();
      case 'resume':
        s.schedule = { ...s.schedule, force: args.force ? { value: 'on', expiresAt: null } : null };
        return this.#changed();
      case 'drain':
        s.drain = args.cancel ? { draining: false, since: null } : { draining: true, since: this.#now() };
        return this.#changed();
      case 'stopTask': {
        const task = s.running.find((t) => t.id === args.taskId);
        if (!task) throw new Error(`task ${String(args.taskId)} is not running here; it may have finished already`);
        s.running = s.running.filter((t) => t !== task);
        s.recent = [{ id: task.id, name: task.name, status: 'stopped', statusReason: 'aborted from Tray Agent', startedAt: task.startedAt, finishedAt: this.#now(), phases: task.phases, exitCode: null }, ...s.recent];
        s.gpus = s.gpus.map((g) => (g.heldBy?.taskId === task.id ? { ...g, heldBy: null } : g));
        return this.#changed();
      }
      case 'setQueues': {
        const wanted = args.queues as string[];
        for (const queue of wanted) {
          if (!s.queues.some((q) => q.name === queue || q.id === queue)) throw new Error(`queue "${queue}" does not exist on the server; create it or pick another`);
        }
        s.queues = s.queues.map((q) => {
          const order = wanted.findIndex((w) => w === q.name || w === q.id);
          return { ...q, selected: order >= 0, order: order >= 0 ? order : null };
        });
        s.preferences = { ...s.preferences, queues: wanted, orderFairness: args.orderFairness as boolean };
        return this.#changed();
      }
      case 'setGpus': {
        const spec = args.gpus as string | null;
        const picked = spec === null || spec === 'all' ? null : new Set(spec.split(',').map(Number));
        s.gpus = s.gpus.map((g) => ({ ...g, selected: picked === null || picked.has(g.index) }));
        s.preferences = { ...s.preferences, gpus: spec };
        return this.#changed();
      }
      case 'setSkipBusyGpus':
        s.preferences = { ...s.preferences, skipBusyGpus: args.enabled as boolean };
        return this.#changed();
      case 'setSchedule': {
        for (const list of [args.uptime, args.downtime] as Array<string[] | null>) if (list) parseScheduleSpec(list);
        s.schedule = { ...s.schedule, uptime: (args.uptime as string[] | null) ?? null, downtime: (args.downtime as string[] | null) ?? null };
        return this.#changed();
      }
      case 'setAutostart':
        this.#autostart = args.enabled as boolean;
        s.preferences = { ...s.preferences, autostart: this.#autostart };
        return this.#changed();
      case 'getTaskLog':
        return this.#logPage(args as never);
      case 'setupGetState':
      case 'setupParseCredentials':
      case 'setupVerify':
      case 'setupSave': {
        if (!this.#setup) throw new Error('setup is not available in this scripted host');
        const result = await (setupBridgeCalls(this.#setup)[name] as (a: unknown) => Promise<unknown>)(args);
        if (name === 'setupSave') {
          s.needsSetup = false;
          this.#changed();
        }
        return result;
      }
    }
  }

  #logPage(args: BridgeArgs<'getTaskLog'>) {
    const lines = this.logs.get(args.taskId) ?? [];
    const limit = args.limit ?? 5_000;
    if (args.beforeSeq !== undefined) {
      const end = Math.min(args.beforeSeq, lines.length);
      const start = Math.max(0, end - limit);
      return { taskId: args.taskId, lines: lines.slice(start, end), nextSeq: lines.length, hasOlder: start > 0 };
    }
    const from = args.fromSeq ?? Math.max(0, lines.length - limit);
    return { taskId: args.taskId, lines: lines.slice(from, from + limit), nextSeq: Math.min(lines.length, from + limit), hasOlder: from > 0 };
  }

  #derive(): void {
    const s = this.#snapshot;
    const now = this.#now();
    const force = s.schedule.force;
    const tagOff = s.queues.some((q) => q.selected && q.forceWorkers === 'off');
    const clock = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    let active = true;
    let reason = 'no schedule: pulling whenever a GPU is free';
    let source: AgentSnapshot['schedule']['source'] = 'default';
    if (force?.value === 'off') {
      active = false;
      source = 'force';
      reason = force.expiresAt ? `forced off until ${clock(force.expiresAt)}` : 'forced off until resumed';
    } else if (force?.value === 'on') {
      source = 'force';
      reason = 'forced on (pulls even outside the uptime window)';
    } else if (tagOff) {
      active = false;
      source = 'queue-tag';
      reason = 'a queue carries the tag force_workers:off';
    } else if (s.schedule.uptime?.length) {
      const inside = parseScheduleSpec(s.schedule.uptime).covered[new Date(now).getDay()]?.[new Date(now).getHours()] ?? false;
      active = inside;
      source = 'uptime';
      reason = `${inside ? 'inside' : 'outside'} uptime ${s.schedule.uptime.join('; ')}`;
    } else if (s.schedule.downtime?.length) {
      const inside = parseScheduleSpec(s.schedule.downtime).covered[new Date(now).getDay()]?.[new Date(now).getHours()] ?? false;
      active = !inside;
      source = 'downtime';
      reason = `${inside ? 'inside' : 'outside'} downtime ${s.schedule.downtime.join('; ')}`;
    }
    s.schedule = { ...s.schedule, active, reason, source };
    const task = s.running[0];
    const selected = s.queues.filter((q) => q.selected).length;
    if (s.connection.state !== 'connected' && s.connection.state !== 'not-configured') {
      s.state = 'error';
      s.stateReason = `Server ${s.connection.state} — retrying`;
    } else if (task) {
      s.state = 'running';
      const phase = task.phases.find((p) => p.state === 'running');
      const pct = phase?.progress?.fraction != null ? ` ${Math.round(phase.progress.fraction * 100)} %` : '';
      s.stateReason = `Running ${task.name ?? task.id} — ${task.phase}${pct}`;
    } else if (!active) {
      s.state = 'paused';
      s.stateReason = force?.value === 'off' ? (force.expiresAt ? `Paused until ${clock(force.expiresAt)}` : 'Paused') : `Not pulling — ${reason}`;
    } else if (s.drain.draining) {
      s.state = 'idle';
      s.stateReason = 'Draining — taking no new tasks';
    } else {
      s.state = 'idle';
      s.stateReason = selected ? `Idle — listening to ${selected} queue${selected === 1 ? '' : 's'}` : 'Idle — no queues selected';
    }
  }

  #changed(): AgentSnapshot {
    this.#derive();
    this.#snapshot = { ...this.#snapshot };
    this.emit('snapshot', this.#snapshot);
    return this.#snapshot;
  }
}

const SAMPLE_TEXTS = [
  'Epoch 3/90 step 1200/5000 loss=0.4412 acc=0.871 lr=1.0e-04',
  '\u001b[32mINFO\u001b[0m saved checkpoint to /tmp/ckpt/epoch3.pt',
  'WARNING: data loader worker 3 is slow (2.1 s per batch)',
  'Traceback (most recent call last): File "train.py", line 88, in <module>',
  '\u001b[1;31mERROR\u001b[0m CUDA out of memory while allocating 2.00 GiB',
  'collecting torch==2.5.1 from https://download.pytorch.org/whl/cu124',
];

/** A plausible task log line for `seq` (mixes levels, streams and ANSI colours). */
export function sampleLogLine(seq: number, at: number): LogLineView {
  const kind = seq % 37 === 0 ? 4 : seq % 11 === 0 ? 2 : seq % 5 === 0 ? 1 : seq % 17 === 0 ? 5 : 0;
  const level = kind === 4 ? 'error' : kind === 2 ? 'warning' : 'info';
  return { seq, at, stream: kind === 4 || kind === 2 ? 'stderr' : 'stdout', level, text: `${SAMPLE_TEXTS[kind]} [line ${seq + 1}]` };
}
