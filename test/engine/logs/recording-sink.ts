// Test double for the network: an in-process sink that records every accepted batch and can be
// switched to failing (an outage) or to holding requests (a hung server).
import type { LogEvent, LogSink } from '../../../src-main/engine/logs/index.js';

export interface RecordingSink extends LogSink {
  readonly batches: LogEvent[][];
  readonly events: LogEvent[];
  /** Calls that failed. */
  failures: number;
  /** While true, every call rejects. */
  failing: boolean;
  /** Lines of all accepted events, in order (each event's msg split on `\n`). */
  lines(): string[];
  /** Resolves once at least `n` lines were accepted. */
  waitForLines(n: number, timeoutMs?: number): Promise<void>;
}

export function createRecordingSink(opts: { failFirst?: number } = {}): RecordingSink {
  let failFirst = opts.failFirst ?? 0;
  const batches: LogEvent[][] = [];
  const events: LogEvent[] = [];
  let acceptedLines = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const sink: RecordingSink = {
    batches,
    events,
    failures: 0,
    failing: false,
    async addBatch(batch) {
      await Promise.resolve();
      if (sink.failing || failFirst > 0) {
        failFirst = Math.max(0, failFirst - 1);
        sink.failures++;
        throw new Error('recording sink: simulated outage');
      }
      batches.push(batch);
      for (const event of batch) {
        events.push(event);
        acceptedLines += event.msg.split('\n').length - 1;
      }
      for (const w of waiters.splice(0)) {
        if (acceptedLines >= w.n) w.resolve();
        else waiters.push(w);
      }
    },
    lines() {
      return events.flatMap((e) => e.msg.split('\n').slice(0, -1));
    },
    waitForLines(n, timeoutMs = 10_000) {
      if (acceptedLines >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${acceptedLines} of ${n} lines arrived`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
  return sink;
}
