/**
 * Levels an agent line can have. Callers name them in capitals (as clearml-agent's own logger
 * prints them); on the wire they become ClearML's lower-case names (see WireLogLevel).
 */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

/** ClearML's log-event level names (the server's LogLevelEnum), as the SDK sends them. */
export type WireLogLevel = 'debug' | 'info' | 'warning' | 'error';

/** One console-log event as `events.add_batch` expects it (clearml-api §2.5). */
export interface LogEvent {
  type: 'log';
  task: string;
  worker: string;
  level: WireLogLevel;
  /** Whole lines, each ending in `\n`; UTF-8 size < 64 KiB. */
  msg: string;
  /** Epoch ms, strictly increasing from one event to the next so the server keeps our order. */
  timestamp: number;
}

/** Where batches go: the API client's `events.addBatch`, or a test sink. Rejects on failure. */
export interface LogSink {
  addBatch(events: LogEvent[]): Promise<void>;
}

/** Masks secrets in text before it leaves the process (see redactor.ts). */
export interface Redactor {
  /** Masks every secret in `text`. Secrets never span lines, so whole lines are always safe. */
  redact(text: string): string;
  /**
   * How much of `text` can be emitted now: the length of its prefix that cannot end inside a
   * secret still being written (a proper prefix of a secret, or a URL whose password is not
   * terminated yet). The rest must wait for more input.
   */
  safePrefixLength(text: string): number;
  /** A chunk-in, redacted-text-out stream that holds back only what might be half a secret. */
  stream(): RedactingStream;
  /** How many distinct secret values are masked (for diagnostics; never the values). */
  readonly secretCount: number;
}

export interface RedactingStream {
  /** Returns the redacted text that is safe to emit so far. */
  write(chunk: string): string;
  /** Returns whatever was held back, redacted. */
  end(): string;
}

export interface LogShipperOptions {
  taskId: string;
  workerId: string;
  /** Folder for spool files (created 0700); one `<taskId>.spool` per task. */
  spoolDir: string;
  sink: LogSink;
  redactor: Redactor;
  /** clearml-agent's `agent.suppress_carriage_return`: keep only the last `\r` segment of a line. */
  suppressCarriageReturn: boolean;
  /** How often buffered output is shipped, and how long a line without `\n` waits. Default 1000. */
  flushIntervalMs?: number;
  /** Cap of one `events.add_batch` request body in bytes. Default 1 MiB. */
  maxBatchBytes?: number;
  /** Delay before retry number `attempt` (1, 2, …) of a failed batch. Default: jittered exponential ≤ 5 s. */
  retryDelayMs?: (attempt: number) => number;
  /** The agent's own diagnostics about shipping (never task output). */
  log?: (line: string) => void;
  /** Clock in epoch ms (tests). */
  now?: () => number;
}

export interface LogShipperStats {
  /** Task output held in memory right now: unwritten spool data, partial lines, the batch in flight. */
  bufferedBytes: number;
  /** The largest `bufferedBytes` seen. */
  peakBufferedBytes: number;
  /** Bytes in the spool file / bytes of it already shipped. */
  spoolBytes: number;
  shippedBytes: number;
  /** Lines written to the spool / shipped / waiting (counts include earlier runs' leftovers). */
  spooledLines: number;
  shippedLines: number;
  pendingLines: number;
  /** Output that could not be written to the spool (disk full, I/O error) and is lost. */
  droppedBytes: number;
  /** Lines the server refused for good (HTTP 400, e.g. the task was deleted): not retried. */
  refusedLines: number;
  /** Failed attempts of the current batch (0 while the sink is healthy). */
  consecutiveFailures: number;
  lastError: string | null;
}

export interface CloseResult {
  /** Lines this shipper delivered. */
  shipped: number;
  /** Lines left in the spool for `resumeSpool` (0 when everything was shipped). */
  pending: number;
}

export interface LogShipper {
  writeStdout(chunk: Buffer | string): void;
  writeStderr(chunk: Buffer | string): void;
  /** An agent message in the task's log; the level in capitals or ClearML's lower-case name. */
  agentLine(level: LogLevel | WireLogLevel, text: string): void;
  /** Resolves once everything written so far is shipped, or as soon as a send attempt fails (retries go on). */
  flush(): Promise<void>;
  /** Ships the rest, then deletes the spool; after `timeoutMs` (default 10 s) gives up and keeps it. */
  close(opts?: { timeoutMs?: number }): Promise<CloseResult>;
  stats(): LogShipperStats;
}
