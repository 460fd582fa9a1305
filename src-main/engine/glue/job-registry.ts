// The glue's record of the scheduler jobs it submitted, kept on disk so a restarted glue
// re-adopts its jobs instead of submitting a task twice. Entries have the shape of the
// running registry's `scheduler-job` entries (host seams), so they can be folded into it.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export type SchedulerName = 'slurm' | 'k8s';

export interface SchedulerJobEntry {
  readonly kind: 'scheduler-job';
  readonly scheduler: SchedulerName;
  /**
   * The scheduler's id for the job (Slurm job id, pod or Job name); null while the submission
   * is in flight — a glue that dies there finds the job again by its name on restart.
   */
  readonly jobId: string | null;
  readonly taskId: string;
  /** The queue the task was pulled from (its template, its --max-jobs count). */
  readonly queueId: string;
  /** ISO time the glue took the task. */
  readonly submittedAt: string;
}

export class JobRegistryError extends Error {
  override readonly name = 'JobRegistryError';
}

/** `<stateDir>/glue/<scheduler>-<worker id made file-safe>.json`: one file per glue worker. */
export function jobRegistryPath(stateDir: string, scheduler: SchedulerName, workerId: string): string {
  return join(stateDir, 'glue', `${scheduler}-${workerId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

function isEntry(value: unknown, scheduler: SchedulerName): value is SchedulerJobEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    e.kind === 'scheduler-job' &&
    e.scheduler === scheduler &&
    (e.jobId === null || typeof e.jobId === 'string') &&
    typeof e.taskId === 'string' &&
    typeof e.queueId === 'string' &&
    typeof e.submittedAt === 'string'
  );
}

export interface JobRegistry {
  readonly file: string;
  entries(): readonly SchedulerJobEntry[];
  get(taskId: string): SchedulerJobEntry | undefined;
  countForQueue(queueId: string): number;
  /** Adds or replaces the task's entry and writes the file before resolving. */
  put(entry: SchedulerJobEntry): Promise<void>;
  remove(taskId: string): Promise<void>;
}

/**
 * Opens (or starts) the registry file. A file that is not a registry is refused with its path
 * rather than overwritten: it may hold the only record of jobs that are still running.
 */
export async function openJobRegistry(file: string, scheduler: SchedulerName): Promise<JobRegistry> {
  const byTask = new Map<string, SchedulerJobEntry>();
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null && text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new JobRegistryError(`the glue's job registry ${file} is not valid JSON (${(error as Error).message}); fix or move it away (the jobs it lists would no longer be tracked)`);
    }
    const list = (parsed as { jobs?: unknown })?.jobs;
    if (!Array.isArray(list)) throw new JobRegistryError(`the glue's job registry ${file} has no "jobs" list; fix or move it away`);
    for (const item of list) if (isEntry(item, scheduler)) byTask.set(item.taskId, item);
  }

  // One write at a time, each aside and renamed in, so a crash never leaves half a file.
  let writing: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    const body = `${JSON.stringify({ jobs: [...byTask.values()] }, null, 2)}\n`;
    writing = writing.then(async () => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, body, { mode: 0o600 });
    });
    return writing;
  };

  return {
    file,
    entries: () => [...byTask.values()],
    get: (taskId) => byTask.get(taskId),
    countForQueue: (queueId) => [...byTask.values()].filter((e) => e.queueId === queueId).length,
    async put(entry) {
      byTask.set(entry.taskId, entry);
      await save();
    },
    async remove(taskId) {
      if (!byTask.delete(taskId)) return;
      await save();
    },
  };
}
