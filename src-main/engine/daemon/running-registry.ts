import { mkdir, readFile, rename, writeFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * What a daemon has launched, on disk, so that a daemon restarted after a crash (kill -9,
 * power loss) can find the process groups it left behind, reap them, and mark their tasks
 * failed instead of leaving them "running" forever.
 */
export interface RunningEntry {
  readonly taskId: string;
  readonly workerId: string;
  /** Process group of the task (its leader's pid); null until the process started. */
  readonly pgid: number | null;
  /** Start time of the group leader (processStartTicks), to never kill a reused pid. */
  readonly pgidStartTicks?: number | null;
  readonly daemonPid: number;
  readonly startedAt: string;
}

export class RunningRegistry {
  #entries = new Map<string, RunningEntry>();
  #writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Entries left by a previous daemon (file content at start-up). */
  async readLeftovers(): Promise<RunningEntry[]> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as { entries?: RunningEntry[] };
      return Array.isArray(parsed.entries) ? parsed.entries : [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      // A torn or corrupt file cannot name any process safely: start afresh.
      return [];
    }
  }

  set(entry: RunningEntry): Promise<void> {
    this.#entries.set(entry.taskId, entry);
    return this.#persist();
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
    // Writes are serialised and atomic (temp + rename): a crash leaves the old or the new file.
    this.#writing = this.#writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const temp = `${this.path}.${process.pid}.tmp`;
      await writeFile(temp, snapshot, { mode: 0o600 });
      await rename(temp, this.path);
    });
    return this.#writing;
  }
}
