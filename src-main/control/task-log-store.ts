// The live log of the tasks this host runs, line by line (already redacted), bounded per task:
// what the window's log view pages through and follows without asking the server.
import type { LogLineView, TaskLogPage } from '../../src-shared/views.js';

export interface TaskLogStoreOptions {
  /** Lines kept per task (older ones are dropped; the server still has them). */
  readonly maxLinesPerTask?: number;
  /** Tasks whose logs are kept (the oldest finished one is dropped first). */
  readonly maxTasks?: number;
}

interface TaskLog {
  lines: LogLineView[];
  /** seq of lines[0]. */
  firstSeq: number;
  nextSeq: number;
  running: boolean;
}

export class TaskLogStore {
  readonly #logs = new Map<string, TaskLog>();
  readonly #maxLines: number;
  readonly #maxTasks: number;

  constructor(options: TaskLogStoreOptions = {}) {
    this.#maxLines = options.maxLinesPerTask ?? 200_000;
    this.#maxTasks = options.maxTasks ?? 20;
  }

  has(taskId: string): boolean {
    return this.#logs.has(taskId);
  }

  /** Appends lines; returns them with their seq numbers. */
  append(taskId: string, lines: ReadonlyArray<Omit<LogLineView, 'seq'>>): LogLineView[] {
    let log = this.#logs.get(taskId);
    if (!log) {
      log = { lines: [], firstSeq: 0, nextSeq: 0, running: true };
      this.#logs.set(taskId, log);
      this.#evictTasks();
    }
    const added = lines.map((line) => ({ ...line, seq: log.nextSeq++ }));
    log.lines.push(...added);
    const excess = log.lines.length - this.#maxLines;
    if (excess > 0) {
      log.lines.splice(0, excess);
      log.firstSeq += excess;
    }
    return added;
  }

  finished(taskId: string): void {
    const log = this.#logs.get(taskId);
    if (log) log.running = false;
  }

  page(taskId: string, request: { fromSeq?: number; beforeSeq?: number; limit?: number }): TaskLogPage | null {
    const log = this.#logs.get(taskId);
    if (!log) return null;
    const limit = request.limit ?? 5_000;
    let start: number;
    let end: number;
    if (request.beforeSeq !== undefined) {
      end = Math.max(0, Math.min(log.lines.length, request.beforeSeq - log.firstSeq));
      start = Math.max(0, end - limit);
    } else {
      start = Math.max(0, (request.fromSeq ?? log.firstSeq) - log.firstSeq);
      end = Math.min(log.lines.length, start + limit);
    }
    return { taskId, lines: log.lines.slice(start, end), nextSeq: log.firstSeq + end, hasOlder: log.firstSeq + start > 0 };
  }

  #evictTasks(): void {
    while (this.#logs.size > this.#maxTasks) {
      const oldest = [...this.#logs.entries()].find(([, log]) => !log.running);
      if (!oldest) return;
      this.#logs.delete(oldest[0]);
    }
  }
}
