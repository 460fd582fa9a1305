// The task outbox against the real embedded server over HTTP: the server is closed while a run
// ends (so its tail and status wait in the outbox), then started again on the same port and
// data dir; a second agent's outbox delivers both. The server stores ClearML's lower-case level
// names, and `tray-agent task logs` prints the whole log.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiClient, type ApiClient, type TaskLogEvent } from '../../../src-main/engine/api/index.js';
import { createRedactor, openTaskOutbox } from '../../../src-main/engine/logs/index.js';
import { createTaskRunApi } from '../../../src-main/engine/task-run/api-adapter.js';
import { startEmbeddedServer, type ApiCredentials, type EmbeddedServer } from '../../../src-main/server/index.js';
import { runCliCaptured } from '../../helpers/run-cli-captured.js';

let root = '';
let dataDir = '';
let server: EmbeddedServer | null = null;
let credentials: ApiCredentials;
let client: ApiClient;

beforeAll(async () => {
  root = fs.mkdtempSync(join(tmpdir(), 'logs-outbox-http-'));
  dataDir = join(root, 'server');
  server = await startEmbeddedServer({ port: 0, dataDir });
  credentials = server.createdCredentials!;
  client = createApiClient({ apiServer: server.url, credentials });
});
afterAll(async () => {
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `step ${String(from + i).padStart(5, '0')}`);

/** The outbox as the daemon opens it: a client that does not retry by itself. */
function agentOutbox(url: string, workerId: string) {
  const failFast = createApiClient({ apiServer: url, credentials, maxRetries: 0 });
  return openTaskOutbox({ spoolDir: join(root, 'spool'), serverUrl: url, server: createTaskRunApi(failFast), workerId, retryDelayMs: () => 100 });
}

async function allLogEvents(taskId: string): Promise<TaskLogEvent[]> {
  const { events } = await client.events.getTaskLog({ task: taskId, batchSize: 10_000, navigateEarlier: false, order: 'asc' });
  return events;
}

it('a run that ends while the server is down gets its tail and then its status once the server is back', async () => {
  const url = server!.url;
  const port = server!.port;
  const { id: taskId } = await client.tasks.create({ name: 'outbox over http', type: 'training' } as never);
  await client.tasks.started({ task: taskId, force: true });

  const first = agentOutbox(url, 'host:first');
  const shipper = first.openShipper({ taskId, workerId: 'host:gpu0', redactor: createRedactor({ secrets: [] }), suppressCarriageReturn: true, flushIntervalMs: 50 });
  shipper.agentLine('INFO', 'task pulled by host:gpu0');
  shipper.writeStdout(`${numbered(0, 2000).join('\n')}\n`);
  await shipper.flush();
  expect((await allLogEvents(taskId)).length).toBeGreaterThan(0);

  await server!.close();
  server = null;
  shipper.writeStdout(`${numbered(2000, 5000).join('\n')}\n`);
  shipper.writeStderr('Traceback: a warning on stderr\n');
  shipper.agentLine('WARNING', 'a warning from the agent');
  const ended = await shipper.finish({
    status: { call: 'completed', statusReason: 'worker execution done', statusMessage: 'Changed by Tray Agent host:gpu0', runtime: { _tray_agent_phase_timings_ms: { run: 1 } } },
    waitMs: 500,
  });
  expect(ended).toMatchObject({ done: false, pending: 3002 });
  await first.close();

  server = await startEmbeddedServer({ port, dataDir });
  const second = agentOutbox(url, 'host:second');
  second.drain();
  expect(await second.whenEmpty(20_000)).toBe(true);
  await second.close();

  const events = await allLogEvents(taskId);
  const lines = events.flatMap((e) => (e.msg ?? '').split('\n').slice(0, -1));
  expect(lines.filter((l) => l.startsWith('step '))).toEqual(numbered(0, 5000));
  expect(lines).toContain('Traceback: a warning on stderr');
  expect(new Set(events.map((e) => e.level))).toEqual(new Set(['info', 'debug', 'warning']));
  expect(events.find((e) => e.msg === 'a warning from the agent\n')?.level).toBe('warning');
  const task = await client.tasks.getById(taskId);
  expect(task.status).toBe('completed');
  expect(task.status_reason).toBe('worker execution done');
  expect((task.runtime as Record<string, unknown>)['_tray_agent_phase_timings_ms']).toEqual({ run: 1 });

  // What a user reads: `tray-agent task logs` prints every line once, in order.
  const conf = join(root, 'clearml.conf');
  fs.writeFileSync(conf, `api {\n  api_server: "${url}"\n  credentials { access_key: "${credentials.accessKey}", secret_key: "${credentials.secretKey}" }\n}\n`, { mode: 0o600 });
  const printed = await runCliCaptured('--config-file', conf, 'task', 'logs', taskId);
  expect(printed.code).toBe(0);
  const printedLines = printed.stdout.split('\n');
  expect(printedLines.filter((l) => l.startsWith('step '))).toEqual(numbered(0, 5000));
  expect(printedLines[0]).toBe('task pulled by host:gpu0');
}, 60_000);
