// A stand-in agent process for restart.test.ts: ships a task's output through a real log
// shipper to a file-backed sink that accepts `acceptBatches` batches and then hangs (a server
// that stopped answering), prints "ready" once everything is spooled, and waits to be killed.
import * as fs from 'node:fs';
import type { LogEvent } from '../../../src-main/engine/logs/index.js';
import { createLogShipper, createRedactor } from '../../../src-main/engine/logs/index.js';

const [spoolDir, taskId, acceptedFile, linesArg, acceptArg] = process.argv.slice(2);
if (!spoolDir || !taskId || !acceptedFile || !linesArg || !acceptArg) {
  console.error('usage: crashing-agent.ts SPOOL_DIR TASK_ID ACCEPTED_FILE LINES ACCEPT_BATCHES');
  process.exit(2);
}
const lines = Number(linesArg);
let acceptLeft = Number(acceptArg);
let hung = false;

const sink = {
  addBatch(events: LogEvent[]): Promise<void> {
    if (acceptLeft === 0) {
      hung = true;
      return new Promise<void>(() => {});
    }
    acceptLeft--;
    fs.appendFileSync(acceptedFile, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    return Promise.resolve();
  },
};

const shipper = createLogShipper({
  taskId,
  workerId: 'crashing-agent',
  spoolDir,
  sink,
  redactor: createRedactor({ secrets: [] }),
  suppressCarriageReturn: true,
  flushIntervalMs: 10,
});
for (let i = 0; i < lines; i += 1000) {
  const chunk = [];
  for (let j = i; j < Math.min(lines, i + 1000); j++) chunk.push(`line ${String(j).padStart(7, '0')}`);
  shipper.writeStdout(`${chunk.join('\n')}\n`);
}
void shipper.flush().then(() => {
  if (!hung) {
    console.error('crashing agent: the sink took every batch; give it more lines than one batch holds');
    process.exit(3);
  }
});
const waitForHang = setInterval(() => {
  if (hung) {
    clearInterval(waitForHang);
    process.stdout.write('ready\n');
    setInterval(() => {}, 60_000);
  }
}, 5);
