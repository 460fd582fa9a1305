/**
 * What the agent host (src-main/control) shows of itself: plain, serialisable DTOs that both the
 * main process and the renderer import. Times are epoch milliseconds; sizes MiB; no secrets ever
 * (credentials appear only as a masked access key).
 */

/** Overall state, and the tray icon that goes with it. */
export type AgentState = 'idle' | 'running' | 'paused' | 'error';

/** ClearML's task statuses. */
export type TaskStatus = 'created' | 'queued' | 'in_progress' | 'stopped' | 'completed' | 'failed' | 'published' | 'publishing' | 'closed' | 'unknown';

export interface ConnectionView {
  readonly serverUrl: string | null;
  /** Where the web pages of a task live (ClearML web app, or our dashboard for the embedded server). */
  readonly webUrl: string | null;
  readonly mode: 'embedded' | 'remote';
  readonly state: 'not-configured' | 'connecting' | 'connected' | 'unreachable' | 'unauthorized';
  readonly user: { readonly id: string; readonly name: string } | null;
  readonly apiVersion: string | null;
  /** The access key with all but its first 4 characters masked. */
  readonly accessKeyMasked: string | null;
  /** Why it is not connected, and what the agent does meanwhile (logs spooled, retrying). */
  readonly detail: string | null;
  readonly since: number;
}

export interface WorkerView {
  readonly id: string;
  readonly kind: 'daemon' | 'execute' | 'service';
  readonly mode: 'single' | 'dynamic-gpus' | 'services';
  readonly queueNames: readonly string[];
  readonly runningTaskIds: readonly string[];
  readonly draining: boolean;
  readonly startedAt: number;
}

export interface QueueView {
  readonly id: string;
  readonly name: string;
  /** Tasks waiting in it now. */
  readonly depth: number;
  /** Pulled from by this agent; `order` is its priority (0 = first) when selected. */
  readonly selected: boolean;
  readonly order: number | null;
  readonly tags: readonly string[];
  /** The queue tag `force_workers:on|off`, when set. */
  readonly forceWorkers: 'on' | 'off' | null;
  /** Dynamic-GPU mode: GPUs per task for this queue (0.5 = half a GPU). */
  readonly gpusPerTask: number | null;
}

export interface GpuProcessView {
  readonly pid: number;
  readonly name: string;
  readonly memoryMiB: number | null;
  /** The task of ours that runs it, or null for a foreign process (someone's notebook). */
  readonly taskId: string | null;
}

export interface GpuView {
  readonly index: number;
  readonly uuid: string | null;
  readonly name: string;
  readonly selected: boolean;
  readonly utilizationPct: number | null;
  readonly memoryUsedMiB: number | null;
  readonly memoryTotalMiB: number | null;
  readonly temperatureC: number | null;
  /** Our task holding the GPU (whole or in part), if any. */
  readonly heldBy: { readonly taskId: string; readonly taskName: string | null; readonly fraction: number } | null;
  readonly processes: readonly GpuProcessView[];
  /** Recent samples, oldest first, for sparklines (same length). */
  readonly history: { readonly at: readonly number[]; readonly utilizationPct: readonly number[]; readonly memoryUsedMiB: readonly number[] };
}

export type PhaseState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface PhaseView {
  /** start, workspace, environment, launch, run (docker and glue executors name theirs). */
  readonly name: string;
  readonly state: PhaseState;
  readonly startedAt: number | null;
  readonly durationMs: number | null;
  /** Install progress and the like: a fraction 0..1 when known, and a line saying what. */
  readonly progress: { readonly fraction: number | null; readonly label: string } | null;
}

export interface RunningTaskView {
  readonly id: string;
  readonly name: string | null;
  readonly queueName: string | null;
  readonly workerId: string;
  readonly executor: 'venv' | 'docker' | 'slurm' | 'k8s';
  readonly phase: string;
  readonly phases: readonly PhaseView[];
  readonly startedAt: number;
  readonly gpus: readonly number[];
  /** Set once a stop was asked for (abort, drain, shutdown). */
  readonly stopping: string | null;
}

export interface RecentTaskView {
  readonly id: string;
  readonly name: string | null;
  readonly status: TaskStatus;
  readonly statusReason: string | null;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly phases: readonly PhaseView[];
  readonly exitCode: number | null;
}

export interface ScheduleView {
  /** Would the agent pull now? */
  readonly active: boolean;
  /** Why, in words ("inside uptime 17-20 SUN-TUE", "forced off until 18:00", "queue tag force_workers:off"). */
  readonly reason: string;
  readonly source: 'queue-tag' | 'force' | 'uptime' | 'downtime' | 'default';
  readonly force: { readonly value: 'on' | 'off'; readonly expiresAt: number | null } | null;
  /** clearml's syntax, e.g. ["17-20 SUN-TUE", "20 SAT"]; null when not set. */
  readonly uptime: readonly string[] | null;
  readonly downtime: readonly string[] | null;
  readonly nextChangeAt: number | null;
}

export interface DrainView {
  readonly draining: boolean;
  readonly since: number | null;
}

export interface ErrorView {
  readonly at: number;
  /** Which part said it: connection, daemon, task <id>, config. */
  readonly source: string;
  readonly message: string;
}

/** Choices of the user, kept by the tray (electron-store) as the preferences layer of the config. */
export interface PreferencesView {
  readonly queues: readonly string[];
  readonly orderFairness: boolean;
  /** `--gpus` syntax ("0,1", "all") or null for the configured default. */
  readonly gpus: string | null;
  readonly skipBusyGpus: boolean;
  readonly autostart: boolean;
}

export interface AgentSnapshot {
  readonly state: AgentState;
  /** One line for the tray and the header ("Running hello — environment 63 %", "Paused until 18:00"). */
  readonly stateReason: string;
  readonly version: string;
  readonly connection: ConnectionView;
  readonly workers: readonly WorkerView[];
  readonly queues: readonly QueueView[];
  readonly gpus: readonly GpuView[];
  readonly running: readonly RunningTaskView[];
  readonly recent: readonly RecentTaskView[];
  readonly schedule: ScheduleView;
  readonly drain: DrainView;
  readonly errors: readonly ErrorView[];
  readonly preferences: PreferencesView;
  /** true when there is no clearml.conf (or it has no credentials): the setup wizard shows. */
  readonly needsSetup: boolean;
}

export type LogStream = 'stdout' | 'stderr' | 'agent';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** One line of a task's log, already redacted. `seq` grows by one per line of that task. */
export interface LogLineView {
  readonly seq: number;
  readonly at: number;
  readonly stream: LogStream;
  readonly level: LogLevel | null;
  readonly text: string;
}

export interface TaskLogPage {
  readonly taskId: string;
  readonly lines: readonly LogLineView[];
  /** The seq to ask for next (follow), and whether older lines exist before the first one. */
  readonly nextSeq: number;
  readonly hasOlder: boolean;
}

/** Setup wizard. */
export interface SetupState {
  readonly configPath: string;
  readonly configExists: boolean;
  readonly hasCredentials: boolean;
  readonly serverUrl: string | null;
}

/** A credentials block pasted from the ClearML web app, as understood (secret masked). */
export interface ParsedCredentials {
  readonly apiServer: string;
  readonly webServer: string | null;
  readonly filesServer: string | null;
  readonly accessKey: string;
  readonly secretKeyMasked: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly user: string | null;
  readonly apiVersion: string | null;
  /** What failed and what to do. */
  readonly error: string | null;
}

export interface SetupRequest {
  readonly mode: 'embedded' | 'remote';
  /** remote: the pasted block (parsed again in main; the secret never comes back to the page). */
  readonly credentialsText?: string;
  readonly gitUser?: string;
  readonly gitToken?: string;
  readonly extraIndexUrl?: string;
}

export interface SetupResult {
  readonly configPath: string;
  /** What was written: whole file created, or only these sections/keys added. */
  readonly created: boolean;
  readonly added: readonly string[];
}
