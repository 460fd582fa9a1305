// Parsers for what the Slurm commands print (pure, table-tested against real output).

/** Job name the glue gives every job (`#SBATCH --job-name` in the docs: "do not change"). */
export const jobNamePrefix = 'clearml_task_';
export const jobNameFor = (taskId: string): string => `${jobNamePrefix}${taskId}`;

export interface SqueueRow {
  readonly jobId: string;
  readonly name: string;
  /** PENDING, RUNNING, COMPLETING, COMPLETED, CANCELLED, FAILED, TIMEOUT, … */
  readonly state: string;
  /** Pending reason (Resources, Priority, BeginTime, PartitionConfig, …) or `None`. */
  readonly reason: string;
  readonly nodes: string;
}

/** The `--format` that parseSqueue reads. */
export const squeueFormat = '%i|%j|%T|%r|%N';

export function parseSqueue(stdout: string): SqueueRow[] {
  const rows: SqueueRow[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.split('|');
    if (parts.length < 5) continue;
    // A job name may hold `|` (not ours): the name is everything between id and the last three.
    const [jobId, ...rest] = parts;
    const nodes = rest.pop()!;
    const reason = rest.pop()!;
    const state = rest.pop()!;
    rows.push({ jobId: jobId!.trim(), name: rest.join('|'), state: state.trim(), reason: reason.trim(), nodes: nodes.trim() });
  }
  return rows;
}

/** `sbatch --parsable` prints `<id>` or `<id>;<cluster>`. */
export function parseSbatchJobId(stdout: string): string | null {
  const match = /^\s*(\d+)(?:;\S+)?\s*$/m.exec(stdout);
  return match ? match[1]! : null;
}

/** `scontrol show job -o <id>`: one line of `Key=Value` pairs (values may hold spaces only in a few keys). */
export function parseScontrolRecord(stdout: string): Record<string, string> | null {
  const line = stdout.split('\n').find((l) => l.includes('JobId='));
  if (!line) return null;
  const record: Record<string, string> = {};
  // Keys are CamelCase words followed by `=`; a value runs until the next ` Key=`.
  const re = /(?:^|\s)([A-Za-z][A-Za-z0-9_:/]*)=/g;
  const keys: Array<{ key: string; start: number; valueStart: number }> = [];
  for (const m of line.matchAll(re)) keys.push({ key: m[1]!, start: m.index!, valueStart: m.index! + m[0].length });
  keys.forEach((k, i) => {
    const end = i + 1 < keys.length ? keys[i + 1]!.start : line.length;
    record[k.key] = line.slice(k.valueStart, end).trim();
  });
  return record;
}

/** States after which a job never runs again. */
const endedStates = new Set(['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'SPECIAL_EXIT', 'REVOKED']);
const runningStates = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'SIGNALING', 'STAGE_OUT', 'RESIZING', 'SUSPENDED', 'STOPPED']);

export type SlurmPhase = 'pending' | 'running' | 'ended';

export function slurmPhase(state: string): SlurmPhase {
  const base = state.split(/\s+/)[0]!.replace(/\+$/, '').toUpperCase();
  if (endedStates.has(base)) return 'ended';
  if (runningStates.has(base)) return 'running';
  // PENDING, REQUEUED, REQUEUE_HOLD, REQUEUE_FED, RESV_DEL_HOLD: waiting to (re)start.
  return 'pending';
}

// Pending reasons after which Slurm will not start the job as configured now (squeue(1)
// "JOB REASON CODES"): the glue cancels such a job and fails the task with the reason, instead of
// leaving it queued forever. Everything else (Resources, Priority, BeginTime, ReqNodeNotAvail, …)
// is waiting that ends by itself.
const permanentReasons: Record<string, string> = {
  PartitionConfig: 'the job asks for more than the partition offers (CPUs, memory, GPUs, nodes or time); lower the #SBATCH requests in the template or pick another partition',
  BadConstraints: "the job's constraints cannot be met by any node",
  PartitionNodeLimit: "the job asks for more nodes than the partition's limit",
  PartitionTimeLimit: "the job's time limit exceeds the partition's",
  InvalidAccount: "the job's account is invalid",
  InvalidQOS: "the job's QOS is invalid",
  DependencyNeverSatisfied: "the job's dependency can never be met",
};

/** The explanation for a pending reason that will not resolve by itself, else null. */
export function permanentPendingReason(reason: string): string | null {
  return permanentReasons[reason] ?? null;
}

/** `ExitCode=2:0` → `exit code 2`; `0:9` → `signal 9`. */
export function describeExitCode(exitCode: string | undefined): string | null {
  if (!exitCode) return null;
  const [code, signal] = exitCode.split(':');
  if (signal && signal !== '0') return `signal ${signal}`;
  if (code && code !== '0') return `exit code ${code}`;
  return null;
}
