// A stand-in agent process for outbox-concurrency.test.ts: says "ready", waits for GO_FILE (so
// two of them start draining at the same moment), then drains the task outbox of SPOOL_DIR into
// a file-backed "server" (every accepted batch and status call appended to ACCEPTED_FILE as one
// JSON line, each batch taking a few ms like a request), until the outbox is empty.
import { access, appendFile } from 'node:fs/promises';
import { openTaskOutbox, type StatusChange } from '../../../src-main/engine/logs/index.js';

const [spoolDir, acceptedFile, name, goFile] = process.argv.slice(2);
if (!spoolDir || !acceptedFile || !name || !goFile) {
  console.error('usage: outbox-drainer.ts SPOOL_DIR ACCEPTED_FILE NAME GO_FILE');
  process.exit(2);
}
// Appends one at a time: concurrent appends of megabytes would interleave.
let appending: Promise<void> = Promise.resolve();
const record = (entry: object): Promise<void> => (appending = appending.then(() => appendFile(acceptedFile, `${JSON.stringify({ drainer: name, ...entry })}\n`)));
const status = (call: string) => async (taskId: string, change: StatusChange) => record({ kind: 'status', call, taskId, change });
const outbox = openTaskOutbox({
  spoolDir,
  serverUrl: 'http://127.0.0.1:8008',
  workerId: name,
  rescanIntervalMs: 20,
  maxConcurrent: 2,
  server: {
    async addLogEvents(events) {
      await new Promise((r) => setTimeout(r, 40));
      await record({ kind: 'batch', events });
    },
    completed: status('completed'),
    failed: status('failed'),
    stopped: status('stopped'),
    async mergeRuntime() {},
  },
});
process.stdout.write('ready\n');
while (!(await access(goFile).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 5));
outbox.drain();
const empty = await outbox.whenEmpty(60_000);
await outbox.close();
process.stdout.write(empty ? 'empty\n' : 'not empty\n');
