// The task console pipeline: spool to disk, console rules, redaction, ordered batched shipping,
// and the machine's task outbox (spools plus final statuses still to report).
export type {
  CloseResult,
  LogEvent,
  LogLevel,
  LogShipper,
  LogShipperOptions,
  LogShipperStats,
  LogSink,
  Redactor,
  RedactingStream,
  WireLogLevel,
} from './types.js';
export { createLogShipper, resumeSpool, DEFAULT_FLUSH_INTERVAL_MS, DEFAULT_CLOSE_TIMEOUT_MS } from './shipper.js';
export type { ResumeSpoolOptions } from './shipper.js';
export { openTaskOutbox } from './outbox.js';
export type { TaskOutbox, TaskOutboxOptions, OutboxShipper, OutboxShipperOptions, FinishOptions, FinishResult } from './outbox.js';
export type { OutboxServer, PendingFinalStatus, StatusChange } from './outbox-entry.js';
export { createRedactor, MASK, MIN_SECRET_LENGTH } from './redactor.js';
export type { RedactorOptions } from './redactor.js';
export { listSpooledTasks, listOutboxTasks } from './spool.js';
export { LogShipperError } from './errors.js';
export { defaultRetryDelayMs, MAX_RETRY_DELAY_MS } from './retry.js';
export { DEFAULT_MAX_BATCH_BYTES, MIN_MAX_BATCH_BYTES, WIRE_LEVEL } from './batch.js';
export { normalizeLines } from './lines.js';
