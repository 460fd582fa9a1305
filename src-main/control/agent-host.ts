// The agent host: the one façade the CLI, the tray and the dashboard drive (DESIGN.md, control/).
// It owns the embedded server (when this process runs one), the daemons and single runs, keeps
// what the views need (phases, live logs, recent tasks, GPU samples, server-side queue state),
// and answers every bridge call. Transport-free: IPC and WebSocket wiring live in app/ and
// dashboard/.
import { homedir, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { BridgeArgs, BridgeCallName, BridgeEventName, BridgeEvents, BridgeHandler, BridgeResult } from '../../src-shared/bridge.js';
import type { AgentSnapshot, PhaseView, RecentTaskView, ErrorView, LogLineView, TaskStatus } from '../../src-shared/views.js';
import { loadAgentConfig, type AgentConfig, type ConfigOverrideLayer } from '../engine/config/index.js';
import { createApiClient, type ApiClient } from '../engine/api/index.js';
import { apiClientOptionsFromConfig } from '../engine/api/from-config.js';
import { parseScheduleSpec } from '../engine/schedule/index.js';
import { startDaemon, type DaemonHandle, type StartDaemonOptions } from '../engine/daemon/start-daemon.js';
import type { DaemonFlags, DaemonPreferences } from '../engine/daemon/daemon-settings.js';
import { openControlChannel, type ControlChannel } from '../engine/daemon/control-channel.js';
import type { DaemonLogLevel } from '../engine/daemon/daemon.js';
import type { TaskRunEvent } from '../engine/task-run/context.js';
import type { TaskRunResult } from '../engine/task-run/run-task.js';
import type { TeeLine } from '../engine/task-run/output-tee.js';
import { TaskLogStore } from './task-log-store.js';
import { GpuMonitor } from './gpu-monitor.js';
import { buildSnapshot, type HostState, type ServerSideState } from './snapshot-builder.js';
import { BridgeCallError } from './bridge-errors.js';

export interface PreferencesStore {
  get(): DaemonPreferences & { autostart?: boolean };
  set(patch: Partial<DaemonPreferences & { autostart: boolean }>): void;
}

/** What only the Electron shell can do (login items); the dashboard has none. */
export interface AutostartAdapter {
  set(enabled: boolean): Promise<void>;
}

/** The setup wizard's logic (control/setup); injected so the host stays small. */
export interface SetupService {
  handle<N extends 'setupGetState' | 'setupParseCredentials' | 'setupVerify' | 'setupSave'>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>>;
}

export interface AgentHostOptions {
  readonly version: string;
  /** --config-file */
  readonly configFile?: string;
  readonly env?: Record<string, string | undefined>;
  readonly hostname?: string;
  readonly homeDir?: string;
  /** Host and daemon messages (the CLI prints them). */
  readonly log?: (level: DaemonLogLevel, text: string, source: string) => void;
  /** Task output for the terminal (foreground daemons, `up`), redacted. */
  readonly echoTaskOutput?: (text: string) => void;
  readonly preferences?: PreferencesStore;
  readonly autostart?: AutostartAdapter;
  readonly setup?: SetupService;
  /** Refresh of server-side state (queues, force) while someone watches (default 2 s). */
  readonly refreshIntervalMs?: number;
}

export interface EmbeddedServerInfo {
  readonly url: string;
  readonly credentials: { accessKey: string; secretKey: string };
  readonly dataDir: string;
  close(): Promise<void>;
}

type Listener = <E extends BridgeEventName>(event: E, payload: BridgeEvents[E]) => void;

interface TaskTrack {
  readonly taskId: string;
  name: string | null;
  readonly phases: PhaseView[];
  readonly startedAt: number;
}

const RECENT_LIMIT = 50;
const ERROR_LIMIT = 20;

export class AgentHost implements BridgeHandler {
  readonly #options: AgentHostOptions;
  readonly #env: Record<string, string | undefined>;
  readonly #daemons = new Map<string, { handle: DaemonHandle; flags: DaemonFlags; kind: 'daemon' | 'service'; startedAt: number }>();
  readonly #listeners = new Set<Listener>();
  readonly #logs = new TaskLogStore();
  readonly #tracks = new Map<string, TaskTrack>();
  readonly #recent: RecentTaskView[] = [];
  readonly #errors: ErrorView[] = [];
  readonly #gpus: GpuMonitor;
  #server: EmbeddedServerInfo | null = null;
  #apiLayer: ConfigOverrideLayer | null = null;
  #channel: ControlChannel | null = null;
  #serverSide: ServerSideState = { queues: [], force: null, tags: new Map(), user: null, error: null, at: 0 };
  #refreshTimer: NodeJS.Timeout | null = null;
  #snapshotTimer: NodeJS.Timeout | null = null;
  #pendingLog = new Map<string, LogLineView[]>();
  #logTimer: NodeJS.Timeout | null = null;
  #config: AgentConfig | null = null;
  #client: ApiClient | null = null;
  #pendingRestart = false;

  constructor(options: AgentHostOptions) {
    this.#options = options;
    this.#env = options.env ?? { ...process.env };
    this.#gpus = new GpuMonitor({ env: this.#env as NodeJS.ProcessEnv });
  }

  // ------------------------------------------------------------------ lifecycle

  /** Starts the embedded server in this process; daemons started afterwards use it. */
  async startEmbeddedServer(options: { host: string; port: number; dataDir?: string }): Promise<EmbeddedServerInfo> {
    const dataDir = options.dataDir ?? join(this.#options.homeDir ?? homedir(), '.tray-agent', 'server');
    // Loaded on demand: a daemon against a remote server never pays for SQLite and the server.
    const { startEmbeddedServer } = await import('../server/index.js');
    const server = await startEmbeddedServer({ host: options.host, port: options.port, dataDir });
    const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
    const credentials = server.createdCredentials ?? server.createCredentials();
    this.#server = { url, credentials, dataDir, close: () => server.close() };
    this.useServer(url, credentials);
    return this.#server;
  }

  /** Points this host's daemons at a server (a layer over clearml.conf, not environment variables). */
  useServer(url: string, credentials: { accessKey: string; secretKey: string }): void {
    this.#apiLayer = {
      name: `server of this ${this.#server ? 'embedded setup' : 'session'}`,
      tree: { api: { api_server: url, web_server: url, credentials: { access_key: credentials.accessKey, secret_key: credentials.secretKey } } },
    };
    this.#client = null;
    this.#config = null;
  }

  get embeddedServer(): EmbeddedServerInfo | null {
    return this.#server;
  }

  get daemons(): DaemonHandle[] {
    return [...this.#daemons.values()].map((d) => d.handle);
  }

  /** Starts a daemon; it shows in the snapshot and answers `daemon --stop` through the control socket. */
  async startDaemon(flags: DaemonFlags, extra: Partial<Pick<StartDaemonOptions, 'executorFor' | 'reapers' | 'echoTaskOutput' | 'now'>> = {}): Promise<DaemonHandle> {
    const channel = await this.#controlChannel();
    const handle = await startDaemon({
      flags: { ...flags, configFile: flags.configFile ?? this.#options.configFile },
      env: this.#env,
      hostname: this.#options.hostname,
      log: (level, text) => this.#log(level, text, 'daemon'),
      echoTaskOutput: extra.echoTaskOutput ?? this.#options.echoTaskOutput,
      onTaskEvent: (event) => this.#onTaskEvent(event),
      onTaskLogLines: (taskId, lines) => this.#onLogLines(taskId, lines),
      onTaskFinished: (taskId, result, error) => this.#onTaskFinished(taskId, result, error),
      layers: this.#apiLayer ? [this.#apiLayer] : [],
      preferences: this.#options.preferences ? () => this.#options.preferences!.get() : undefined,
      controlSocket: channel.path,
      sharedWith: this.#sharedWith(),
      now: extra.now,
      executorFor: extra.executorFor,
      reapers: extra.reapers,
    });
    this.#daemons.set(handle.workerId, { handle, flags, kind: 'daemon', startedAt: Date.now() });
    void handle.done.then(() => {
      this.#daemons.delete(handle.workerId);
      this.#changed();
    });
    this.#changed();
    return handle;
  }

  /** Stops every daemon (their tasks are stopped within the grace), then the embedded server. */
  async shutdown(options: { drain?: boolean } = {}): Promise<void> {
    const handles = this.daemons;
    for (const handle of handles) {
      if (options.drain) handle.drain();
      else handle.stop();
    }
    await Promise.all(handles.map((h) => h.done));
    this.#gpus.stop();
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    if (this.#snapshotTimer) clearTimeout(this.#snapshotTimer);
    if (this.#logTimer) clearTimeout(this.#logTimer);
    this.#refreshTimer = this.#snapshotTimer = this.#logTimer = null;
    await this.#channel?.close();
    this.#channel = null;
    await this.#server?.close();
    this.#server = null;
  }

  /** Resolves when every daemon of this host has ended (stopped, drained or by `--stop`). */
  async allDaemonsDone(): Promise<void> {
    while (this.#daemons.size > 0) await Promise.all(this.daemons.map((h) => h.done));
  }

  // ------------------------------------------------------------------ bridge

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#startWatching();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stopWatching();
    };
  }

  async handle<N extends BridgeCallName>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>> {
    const result = await this.#dispatch(name, args as never);
    return result as BridgeResult<N>;
  }

  async #dispatch(name: BridgeCallName, args: Record<string, unknown>): Promise<unknown> {
    switch (name) {
      case 'getSnapshot':
        return this.snapshot();
      case 'pause':
        await this.setForce('off', (args['until'] as number | null) ?? null);
        return this.snapshot();
      case 'resume':
        await this.setForce(args['force'] ? 'on' : null, null);
        return this.snapshot();
      case 'drain':
        for (const d of this.daemons) {
          if (args['cancel']) d.undrain();
          else d.drain();
        }
        this.#changed();
        return this.snapshot();
      case 'stopTask': {
        const taskId = String(args['taskId']);
        const owner = this.daemons.find((d) => d.runningTasks().some((t) => t.taskId === taskId));
        if (!owner) throw new BridgeCallError('refused', `task ${taskId} is not running on this agent; abort it where it runs`);
        owner.stopTask(taskId, { kind: 'local-abort' });
        this.#changed();
        return this.snapshot();
      }
      case 'setQueues':
        this.#setPreferences({ queues: args['queues'] as string[], orderFairness: Boolean(args['orderFairness']) }, 'restart');
        return this.snapshot();
      case 'setGpus':
        this.#setPreferences({ gpus: (args['gpus'] as string | null) ?? null }, 'restart');
        return this.snapshot();
      case 'setSkipBusyGpus':
        this.#setPreferences({ skipBusyGpus: Boolean(args['enabled']) }, 'restart');
        return this.snapshot();
      case 'setSchedule': {
        const uptime = (args['uptime'] as string[] | null) ?? null;
        const downtime = (args['downtime'] as string[] | null) ?? null;
        for (const [entries, what] of [[uptime, 'uptime'], [downtime, 'downtime']] as const) {
          if (!entries || entries.length === 0) continue;
          try {
            parseScheduleSpec(entries);
          } catch (error) {
            throw new BridgeCallError('invalid-args', `${what}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        this.#setPreferences({ uptime: uptime && uptime.length ? uptime : null, downtime: downtime && downtime.length ? downtime : null }, 'reload');
        return this.snapshot();
      }
      case 'reloadConfig':
        this.#config = null;
        for (const d of this.daemons) d.poke();
        return this.snapshot();
      case 'setAutostart': {
        const enabled = Boolean(args['enabled']);
        if (!this.#options.autostart) throw new BridgeCallError('refused', 'start on login is set by the tray app; on a headless machine use `tray-agent service install`');
        await this.#options.autostart.set(enabled);
        this.#options.preferences?.set({ autostart: enabled });
        this.#changed();
        return this.snapshot();
      }
      case 'getTaskLog':
        return this.taskLog(String(args['taskId']), args as { fromSeq?: number; beforeSeq?: number; limit?: number });
      case 'setupGetState':
      case 'setupParseCredentials':
      case 'setupVerify':
      case 'setupSave':
        if (!this.#options.setup) throw new BridgeCallError('refused', 'setup is not available here; run `tray-agent init` in a terminal');
        return this.#options.setup.handle(name, args as never);
    }
  }

  // ------------------------------------------------------------------ actions

  /** Runtime property `force` on every daemon's worker: off (pause), on, or null (clear). */
  async setForce(value: 'on' | 'off' | null, untilMs: number | null): Promise<void> {
    const daemons = this.daemons;
    if (daemons.length === 0) throw new BridgeCallError('refused', 'no daemon runs on this agent; start one first');
    const expirySec = untilMs === null ? null : Math.max(1, Math.round((untilMs - Date.now()) / 1000));
    for (const d of daemons) {
      // A null value deletes the property (force cleared: the schedule decides again).
      const properties = [{ key: 'force', value: value as string, ...(expirySec !== null ? { expiry: expirySec } : {}) }];
      try {
        await d.client.workers.setRuntimeProperties({ worker: d.workerId, runtimeProperties: properties });
      } catch (error) {
        throw new BridgeCallError('failed', `could not set force=${value ?? '(cleared)'} for ${d.workerId}: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.#log('info', value === null ? 'Force cleared: the schedule decides again' : `Force ${value}${untilMs ? ` until ${new Date(untilMs).toISOString()}` : ''}`, d.workerId);
      d.poke();
    }
    await this.#refreshServerSide();
    this.#changed();
  }

  async taskLog(taskId: string, request: { fromSeq?: number; beforeSeq?: number; limit?: number }) {
    const local = this.#logs.page(taskId, request);
    if (local) return local;
    // Not run here (or long ago): read what the server has.
    const client = await this.#apiClient();
    const { readNewLogEvents, newLogCursor } = await import('../engine/api/task-log-follower.js');
    const cursor = newLogCursor();
    if (request.fromSeq) cursor.seq = request.fromSeq;
    const events = await readNewLogEvents(client, taskId, cursor, client.capabilities().trayAgentExtensions, Math.min(request.limit ?? 5_000, 5_000));
    const lines: LogLineView[] = [];
    let seq = request.fromSeq ?? 0;
    for (const event of events) {
      for (const text of String(event.msg ?? '').replace(/\n$/, '').split('\n')) {
        lines.push({ seq: seq++, at: typeof event.timestamp === 'number' ? event.timestamp : Date.parse(String(event.timestamp)) || 0, stream: 'stdout', level: levelOf(event.level), text });
      }
    }
    return { taskId, lines, nextSeq: cursor.seq || seq, hasOlder: false };
  }

  async snapshot(): Promise<AgentSnapshot> {
    const config = await this.#loadConfig().catch(() => null);
    return buildSnapshot(this.#state(config));
  }

  // ------------------------------------------------------------------ internals

  #state(config: AgentConfig | null): HostState {
    return {
      version: this.#options.version,
      config,
      embedded: this.#server !== null,
      daemons: [...this.#daemons.values()],
      tracks: this.#tracks,
      recent: this.#recent,
      errors: this.#errors,
      serverSide: this.#serverSide,
      gpus: this.#gpus,
      preferences: this.#options.preferences?.get() ?? {},
      hostname: this.#options.hostname ?? osHostname(),
    };
  }

  #sharedWith(): string[] {
    return this.#server ? [`the embedded server at ${this.#server.url}`] : [];
  }

  async #controlChannel(): Promise<ControlChannel> {
    if (this.#channel) return this.#channel;
    const config = await this.#loadConfig();
    this.#channel = await openControlChannel({
      stateDir: config.agent.stateDir,
      handle: async (request) => {
        const daemon = this.#daemons.get(request.workerId);
        if (!daemon) return { ok: false, error: `no daemon ${request.workerId} in this process` };
        if (request.op === 'drain') daemon.handle.drain();
        else daemon.handle.stop();
        this.#changed();
        return { ok: true, result: request.op === 'drain' ? 'draining' : 'stopping' };
      },
    });
    return this.#channel;
  }

  async #loadConfig(): Promise<AgentConfig> {
    if (this.#config) return this.#config;
    const loaded = await loadAgentConfig({ configFile: this.#options.configFile, env: this.#env, homeDir: this.#options.homeDir, overrides: this.#apiLayer ? [this.#apiLayer] : [] });
    this.#config = loaded.config;
    return loaded.config;
  }

  async #apiClient(): Promise<ApiClient> {
    const daemon = this.daemons[0];
    if (daemon) return daemon.client;
    if (!this.#client) {
      const config = await this.#loadConfig();
      this.#client = createApiClient(apiClientOptionsFromConfig(config, { maxRetries: 1 }));
    }
    return this.#client;
  }

  #log(level: DaemonLogLevel, text: string, source: string): void {
    if (level === 'error') this.#pushError(source, text);
    this.#options.log?.(level, text, source);
  }

  #pushError(source: string, message: string): void {
    this.#errors.unshift({ at: Date.now(), source, message });
    this.#errors.length = Math.min(this.#errors.length, ERROR_LIMIT);
    this.#changed();
  }

  #onTaskEvent(event: TaskRunEvent): void {
    let track = this.#tracks.get(event.taskId);
    if (!track) {
      track = { taskId: event.taskId, name: null, phases: [], startedAt: Date.now() };
      this.#tracks.set(event.taskId, track);
    }
    const now = Date.now();
    if (event.type === 'phase-started') {
      track.phases.push({ name: event.phase, state: 'running', startedAt: now, durationMs: null, progress: null });
      this.#emit('phase', { taskId: event.taskId, phase: event.phase, state: 'running', at: now, durationMs: null });
      if (event.phase === 'workspace' && track.name === null) void this.#fillTaskName(track);
    } else if (event.type === 'phase-finished') {
      const index = track.phases.findIndex((p) => p.name === event.phase && p.state === 'running');
      if (index >= 0) track.phases[index] = { ...track.phases[index]!, state: 'done', durationMs: event.durationMs, progress: null };
      this.#emit('phase', { taskId: event.taskId, phase: event.phase, state: 'done', at: now, durationMs: event.durationMs });
    }
    this.#changed();
  }

  async #fillTaskName(track: TaskTrack): Promise<void> {
    try {
      const client = await this.#apiClient();
      const task = await client.tasks.getById(track.taskId);
      track.name = typeof task.name === 'string' ? task.name : null;
      this.#changed();
    } catch {
      // The name is decoration; the id is shown meanwhile.
    }
  }

  #onLogLines(taskId: string, lines: TeeLine[]): void {
    const added = this.#logs.append(taskId, lines);
    const track = this.#tracks.get(taskId);
    const running = track?.phases.find((p) => p.state === 'running');
    const lastAgent = [...lines].reverse().find((l) => l.stream === 'agent');
    if (running && lastAgent && running.name === 'environment') {
      const i = track!.phases.indexOf(running);
      track!.phases[i] = { ...running, progress: { fraction: null, label: lastAgent.text.slice(0, 200) } };
    }
    if (this.#listeners.size === 0) return;
    const pending = this.#pendingLog.get(taskId) ?? [];
    pending.push(...added);
    this.#pendingLog.set(taskId, pending);
    // Batched: a task printing 200,000 lines/s must not mean 200,000 events/s to the page.
    this.#logTimer ??= setTimeout(() => {
      this.#logTimer = null;
      for (const [id, batch] of this.#pendingLog) this.#emit('taskLog', { taskId: id, lines: batch });
      this.#pendingLog.clear();
    }, 100);
  }

  #onTaskFinished(taskId: string, result: TaskRunResult | null, error: unknown): void {
    const track = this.#tracks.get(taskId);
    this.#tracks.delete(taskId);
    this.#logs.finished(taskId);
    const phases = (track?.phases ?? []).map((p) => (p.state === 'running' ? { ...p, state: 'failed' as const } : p));
    const status: TaskStatus = result ? statusOfCall(result.finalStatus.call) : 'failed';
    this.#recent.unshift({
      id: taskId,
      name: track?.name ?? null,
      status,
      statusReason: result ? result.finalStatus.statusReason : error instanceof Error ? error.message : String(error),
      startedAt: track?.startedAt ?? Date.now(),
      finishedAt: Date.now(),
      phases,
      exitCode: result?.exitCode ?? null,
    });
    this.#recent.length = Math.min(this.#recent.length, RECENT_LIMIT);
    if (this.#pendingRestart && this.daemons.every((d) => d.runningTasks().length === 0)) void this.#restartDaemons();
    this.#changed();
  }

  #setPreferences(patch: Partial<DaemonPreferences>, apply: 'restart' | 'reload'): void {
    if (!this.#options.preferences) throw new BridgeCallError('refused', 'this agent keeps no preferences (started from the command line); change its flags instead');
    this.#options.preferences.set(patch);
    if (apply === 'reload') {
      for (const d of this.daemons) d.poke();
    } else if (this.daemons.some((d) => d.runningTasks().length > 0)) {
      // Queues and GPUs change who the worker is: applied once the running task has finished.
      this.#pendingRestart = true;
      this.#log('info', 'New queue/GPU choice applies when the running task has finished', 'preferences');
    } else {
      void this.#restartDaemons();
    }
    this.#changed();
  }

  async #restartDaemons(): Promise<void> {
    this.#pendingRestart = false;
    const previous = [...this.#daemons.values()];
    for (const d of previous) d.handle.stop();
    await Promise.all(previous.map((d) => d.handle.done));
    for (const d of previous) {
      try {
        await this.startDaemon(d.flags);
      } catch (error) {
        this.#pushError('daemon', `could not restart with the new choice: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  #startWatching(): void {
    void this.#refreshServerSide();
    this.#refreshTimer = setInterval(() => void this.#refreshServerSide(), this.#options.refreshIntervalMs ?? 2_000);
    this.#refreshTimer.unref();
    this.#gpus.start(2_000, () => this.#changed());
  }

  #stopWatching(): void {
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#refreshTimer = null;
    this.#gpus.stop();
  }

  async #refreshServerSide(): Promise<void> {
    try {
      const client = await this.#apiClient();
      const queues = await client.queues.getAll({ onlyFields: ['id', 'name', 'tags', 'entries'] } as never);
      const daemon = this.daemons[0];
      let force = null;
      if (daemon) {
        const properties = await daemon.client.workers.getRuntimeProperties({ worker: daemon.workerId }).catch(() => []);
        const found = properties.find((p) => p.key === 'force');
        force = found ? { value: found.value, expiresAt: typeof found.expiry === 'number' && found.expiry > 0 ? Date.now() + found.expiry * 1000 : null } : null;
      }
      let user = this.#serverSide.user;
      if (!user) {
        const data = (await client.call('users.get_current_user', {}).catch(() => null)) as { user?: { id?: string; name?: string } } | null;
        if (data?.user?.id) user = { id: String(data.user.id), name: String(data.user.name ?? data.user.id) };
      }
      this.#serverSide = {
        queues: queues.map((q) => ({ id: q.id, name: String(q.name ?? q.id), tags: (q.tags as string[] | undefined) ?? [], depth: Array.isArray((q as { entries?: unknown[] }).entries) ? (q as { entries: unknown[] }).entries.length : 0 })),
        force,
        tags: new Map(queues.map((q) => [q.id, (q.tags as string[] | undefined) ?? []])),
        user,
        error: null,
        apiVersion: client.capabilities().apiVersion,
        at: Date.now(),
      };
    } catch (error) {
      this.#serverSide = { ...this.#serverSide, error: error instanceof Error ? error.message : String(error), at: Date.now() };
    }
    this.#changed();
  }

  #emit<E extends BridgeEventName>(event: E, payload: BridgeEvents[E]): void {
    for (const listener of this.#listeners) {
      try {
        listener(event, payload);
      } catch {
        // One broken transport must not stop the others.
      }
    }
  }

  /** Snapshot changed: debounced, so a burst of phase events sends one snapshot. */
  #changed(): void {
    if (this.#listeners.size === 0 || this.#snapshotTimer) return;
    this.#snapshotTimer = setTimeout(() => {
      this.#snapshotTimer = null;
      void this.snapshot().then((snapshot) => this.#emit('snapshot', snapshot));
    }, 150);
  }
}

function statusOfCall(call: string): TaskStatus {
  if (call === 'completed') return 'completed';
  if (call === 'stopped') return 'stopped';
  if (call === 'failed') return 'failed';
  return 'unknown';
}

function levelOf(level: unknown): LogLineView['level'] {
  const text = String(level ?? '').toLowerCase();
  if (text.startsWith('warn')) return 'warning';
  if (text === 'error' || text === 'critical') return 'error';
  if (text === 'debug') return 'debug';
  return text === 'info' ? 'info' : null;
}
