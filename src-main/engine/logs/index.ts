// The task console pipeline: spool to disk, console rules, redaction, ordered batched shipping.
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
} from './types.js';
export { createLogShipper, resumeSpool, DEFAULT_FLUSH_INTERVAL_MS, DEFAULT_CLOSE_TIMEOUT_MS } from './shipper.js';
export type { ResumeSpoolOptions } from './shipper.js';
export { createRedactor, MASK, MIN_SECRET_LENGTH } from './redactor.js';
export type { RedactorOptions } from './redactor.js';
export { listSpooledTasks } from './spool.js';
export { LogShipperError } from './errors.js';
export { defaultRetryDelayMs, MAX_RETRY_DELAY_MS } from './retry.js';
export { DEFAULT_MAX_BATCH_BYTES, MIN_MAX_BATCH_BYTES } from './batch.js';
export { normalizeLines } from './lines.js';
