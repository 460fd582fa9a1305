import type { DaemonApi, StatusReport } from './daemon-api.js';

export interface WorkerReporterOptions {
  readonly api: DaemonApi;
  /**
   * The reports to send now, given the machine stats: the daemon's own (with its running task,
   * so the server keeps treating the task as worker-run) and one per task slot that runs as
   * its own worker (services mode, dynamic GPUs).
   */
  readonly buildReports: (machineStats: Record<string, unknown> | null) => StatusReport[];
  /** Averaged machine stats since the last call (reference §4.3); null when unavailable. */
  readonly takeMachineStats: () => Promise<Record<string, unknown> | null>;
  /** clearml-agent: first report 3 s after start, then every 30 s. */
  readonly firstDelayMs?: number;
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Keeps the daemon's worker registration alive on the server with periodic status reports
 * carrying machine stats. Reports are never retried on their own: a failed one is logged and
 * the next one carries fresh stats (the server's worker TTL is 600 s, 20 reports' worth).
 */
export function startWorkerReporter(options: WorkerReporterOptions): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const report = async (): Promise<void> => {
    try {
      const machineStats = await options.takeMachineStats();
      if (!stopped) await Promise.all(options.buildReports(machineStats).map((r) => options.api.statusReport(r)));
    } catch (error) {
      options.onError?.(error);
    }
    if (!stopped) {
      timer = setTimeout(() => void report(), options.intervalMs ?? 30_000);
      timer.unref();
    }
  };
  timer = setTimeout(() => void report(), options.firstDelayMs ?? 3_000);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
