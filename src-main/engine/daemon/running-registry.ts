import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * How a running task can be found again after its daemon died: each executor's kind of handle,
 * each with its own liveness check and reaping (orphan-reaper.ts).
 */
export type RunHandle =
  | { readonly kind: 'process-group'; readonly pgid: number; readonly startTicks: number | null }
  | { readonly kind: 'container'; readonly containerId: string }
  | { readonly kind: 'scheduler-job'; readonly scheduler: 'slurm' | 'k8s'; readonly jobId: string };

/**
 * What a daemon has launched, on disk, so that a daemon started after a crash (kill -9, power
 * loss) can find what was left behind, reap it, and mark the tasks failed instead of leaving
 * them "running" forever.
 */
export interface RunningEntry {
  readonly taskId: string;
  readonly workerId: string;
  /** null until the executor started something. */
  readonly handle: RunHandle | null;
  readonly daemonPid: number;
  /** Start time of the daemon process (processStartTicks), so a reused pid is not taken for it. */
  readonly daemonStartTicks?: number | null;
  readonly startedAt: string;
}

interface LegacyEntry {
  taskId: string;
  workerId: string;
  pgid?: number | null;
  pgidStartTicks?: number | null;
  handle?: RunHandle | null;
  daemonPid: number;
  daemonStartTicks?: number | null;
  startedAt: string;
}

/** Entries written before handles were typed held a bare process group. */
function normalise(entry: LegacyEntry): RunningEntry {
  const handle: RunHandle | null =
    entry.handle !== undefined ? entry.handle : typeof entry.pgid === 'number' ? { kind: 'process-group', pgid: entry.pgid, startTicks: entry.pgidStartTicks ?? null } : null;
  return { taskId: entry.taskId, workerId: entry.workerId, handle, daemonPid: entry.daemonPid, daemonStartTicks: entry.daemonStartTicks ?? null, startedAt: entry.startedAt };
}

async function readEntriesFile(path: string): Promise<RunningEntry[]> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { entries?: LegacyEntry[] };
    return Array.isArray(parsed.entries) ? parsed.entries.filter((e) => typeof e?.taskId === 'string').map(normalise) : [];
  } catch {
    // Missing, torn or corrupt: it cannot name anything safely.
    return [];
  }
}

export const REGISTRY_SUFFIX = '.running.json';

export class RunningRegistry {
  #entries = new Map<string, RunningEntry>();
  #writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Entries left by a previous daemon with this worker id (file content at start-up). */
  readLeftovers(): Promise<RunningEntry[]> {
    return readEntriesFile(this.path);
  }

  set(entry: RunningEntry): Promise<void> {
    this.#entries.set(entry.taskId, entry);
    return this.#persist();
  }

  /** Records what the executor started for a task already in the registry. */
  setHandle(taskId: string, handle: RunHandle): Promise<void> {
    const entry = this.#entries.get(taskId);
    if (!entry) return Promise.resolve();
    return this.set({ ...entry, handle });
  }

  delete(taskId: string): Promise<void> {
    this.#entries.delete(taskId);
    return this.#persist();
  }

  clear(): Promise<void> {
    this.#entries.clear();
    return this.#persist();
  }

  async remove(): Promise<void> {
    await this.#writing;
    await rm(this.path, { force: true });
  }

  #persist(): Promise<void> {
    const snapshot = JSON.stringify({ entries: [...this.#entries.values()] }, null, 2);
    // Writes are serialised and atomic (temp, fsync, rename): a crash leaves the old or the new file.
    this.#writing = this.#writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, snapshot, { mode: 0o600 });
    });
    return this.#writing;
  }
}

/**
 * Registry files of every daemon of this user on this machine (one state folder), for the
 * reaper: a daemon with any worker id cleans up after any crashed one.
 */
export async function listRegistryFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(REGISTRY_SUFFIX)).map((n) => join(dir, n));
}

/**
 * Takes a registry file for reaping: renamed aside first, so two daemons starting at once never
 * reap (and report) the same leftovers twice. null when someone else took it.
 */
export async function claimRegistryFile(path: string): Promise<RunningEntry[] | null> {
  const claimed = `${path}.reaping-${process.pid}`;
  try {
    await rename(path, claimed);
  } catch {
    return null;
  }
  const entries = await readEntriesFile(claimed);
  await rm(claimed, { force: true });
  return entries;
}
