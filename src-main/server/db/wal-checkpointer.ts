import { Worker } from 'node:worker_threads';
import type { Db } from './sqlite.js';

// Runs in the worker: its own connection to the same file, checkpointing the WAL on a timer.
// PASSIVE never blocks the server's writers; the fsync it implies happens off the event loop.
// The worker loads node:sqlite itself, so it drops the same single ExperimentalWarning.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  const text = typeof warning === 'string' ? warning : warning && warning.message;
  if (type === 'ExperimentalWarning' && String(text).startsWith('SQLite is an experimental feature')) return;
  emitWarning.call(process, warning, ...rest);
};
const { DatabaseSync } = require('node:sqlite');
process.emitWarning = emitWarning;
const db = new DatabaseSync(workerData.file, { timeout: 1000 });
const checkpoint = () => {
  try { db.prepare('PRAGMA wal_checkpoint(PASSIVE)').all(); } catch (error) { parentPort.postMessage({ error: String(error && error.message || error) }); }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside
 * whichever commit crosses the threshold and fsyncs there, stalling the one event loop for
 * milliseconds; here the main connection never checkpoints and a worker thread does it every
 * `intervalMs`. If the worker cannot run, automatic checkpoints are switched back on.
 */
export function startWalCheckpointer(db: Db, file: string, intervalMs: number, log: (line: string) => void): WalCheckpointer {
  const fallBack = (reason: string) => {
    log(`WAL checkpoints back on the main connection: ${reason}`);
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
  };
  let worker: Worker;
  try {
    worker = new Worker(workerSource, { eval: true, workerData: { file, intervalMs } });
  } catch (error) {
    fallBack((error as Error).message);
    return { stop: async () => {} };
  }
  db.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  worker.on('message', (message: { error?: string }) => {
    if (message.error) log(`WAL checkpoint failed: ${message.error}`);
  });
  worker.on('error', (error) => fallBack(error.message));
  worker.on('exit', (code) => {
    if (!stopping) fallBack(`checkpoint worker exited with code ${code}`);
  });
  worker.unref();
  return {
    stop() {
      stopping = true;
      return new Promise((resolve) => {
        worker.once('exit', () => resolve());
        // Hold the process open until the worker has finished (it is unref'd while idle).
        worker.ref();
        worker.postMessage('stop');
        // A wedged worker must not hold up shutdown; closing the main connection checkpoints anyway.
        setTimeout(() => void worker.terminate(), 2000).unref();
      });
    },
  };
}
