/**
 * Cleanups pushed by phases as they acquire things (temp dirs, GPU slots, cache leases, child
 * processes). They always run, last-in first-out, each bounded by a deadline so one stuck
 * cleanup cannot keep the others (or the agent) hanging.
 */
export interface CleanupFailure {
  readonly name: string;
  readonly error: unknown;
}

interface CleanupEntry {
  readonly name: string;
  readonly run: () => Promise<void> | void;
}

export class CleanupStack {
  readonly #entries: CleanupEntry[] = [];

  push(name: string, run: () => Promise<void> | void): void {
    this.#entries.push({ name, run });
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Runs and removes every cleanup, newest first; never throws. */
  async runAll(perCleanupTimeoutMs = 30_000): Promise<CleanupFailure[]> {
    const failures: CleanupFailure[] = [];
    while (this.#entries.length > 0) {
      const entry = this.#entries.pop()!;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(entry.run),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`cleanup "${entry.name}" took longer than ${perCleanupTimeoutMs} ms`)), perCleanupTimeoutMs);
            timer.unref();
          }),
        ]);
      } catch (error) {
        failures.push({ name: entry.name, error });
      } finally {
        clearTimeout(timer);
      }
    }
    return failures;
  }
}
