/** Where the embedded server listens and how long it holds a long-poll, unless told otherwise. */
export const DEFAULT_SERVER_HOST = '127.0.0.1';
export const DEFAULT_SERVER_PORT = 8008;
/** The files server's port when the API is on a fixed port (ClearML's file server uses 8081). */
export const DEFAULT_FILES_PORT = 8081;
/** Largest upload the files server takes (1 GiB); `--files-max-upload-mb` changes it. */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
/**
 * A daemon's long-poll lasts up to this long. A minute keeps an idle daemon under 0.1 requests/s;
 * it is safe because the server answers waiting daemons early when a queue's tags or a worker's
 * runtime properties change, so force on/off still takes effect at once.
 */
export const DEFAULT_LONG_POLL_MAX_MS = 60_000;
