import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db as Database } from '../../src-main/server/db/sqlite.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startEmbeddedServer } from '../../src-main/server/index.js';
import { createTask, getTask, login, rawCall, type JsonRecord } from './api-call.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tray-agent-persist-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('restart persistence', () => {
  it('keeps queues, tasks, entries, events, workers, properties, credentials and tokens across a restart', async () => {
    const first = await startEmbeddedServer({ dataDir, port: 0 });
    const credentials = first.createdCredentials;
    expect(credentials).not.toBeNull();
    const target = { url: first.url, credentials: credentials! };
    const session = await login(target);
    const queue = (await session.ok<{ id: string }>('queues.create', { name: 'persist-queue', tags: ['force_workers:on'] })).id;
    const project = (await session.ok<{ id: string }>('projects.create', { name: 'persist project' })).id;
    const queuedTask = await createTask(session, { name: 'queued one', project, hyperparams: { Args: { a: { value: '1' } } } });
    const runningTask = await createTask(session, { name: 'running one' });
    await session.ok('tasks.enqueue', { task: queuedTask, queue });
    await session.ok('tasks.started', { task: runningTask, force: true });
    await session.ok('events.add', { type: 'log', task: runningTask, msg: 'persisted line' });
    await session.ok('workers.register', { worker: 'persist:0', queues: [queue] });
    await session.ok('workers.set_runtime_properties', { worker: 'persist:0', runtime_properties: [{ key: 'force', value: 'on' }] });
    const extra = first.createCredentials();
    await first.close();

    const second = await startEmbeddedServer({ dataDir, port: 0 });
    try {
      expect(second.createdCredentials).toBeNull();
      // the old token still verifies (same signing secret), old and extra credentials log in
      const sameToken = await rawCall(second.url, 'queues.get_all', { id: [queue] }, { auth: `Bearer ${session.token}` });
      expect(sameToken.status).toBe(200);
      const again = await login({ url: second.url, credentials: credentials! });
      await login({ url: second.url, credentials: extra });
      const queues = await again.ok<{ queues: Array<JsonRecord> }>('queues.get_all', { id: [queue] });
      expect(queues.queues[0]).toMatchObject({ name: 'persist-queue', tags: ['force_workers:on'], entries: [{ task: queuedTask }] });
      expect((await again.ok<{ name: string }>('queues.get_default')).name).toBe('default');
      expect(await getTask(again, queuedTask)).toMatchObject({ status: 'queued', project, hyperparams: { Args: { a: { value: '1' } } } });
      expect((await getTask(again, runningTask)).status).toBe('in_progress');
      const log = await again.ok<{ events: Array<{ msg: string }> }>('events.get_task_log', { task: runningTask });
      expect(log.events.map((event) => event.msg)).toEqual(['persisted line']);
      const workers = await again.ok<{ workers: Array<{ id: string }> }>('workers.get_all');
      expect(workers.workers.map((worker) => worker.id)).toContain('persist:0');
      expect(await again.ok('workers.get_runtime_properties', { worker: 'persist:0' })).toEqual({
        runtime_properties: [{ key: 'force', value: 'on', expiry: null }],
      });
      expect((await again.ok<JsonRecord>('queues.get_next_task', { queue })).entry.task).toBe(queuedTask);
      // the default queue is not re-created once a user deleted it
      const defaultId = (await again.ok<{ id: string }>('queues.get_default')).id;
      await again.ok('queues.delete', { queue: defaultId, force: true });
    } finally {
      await second.close();
    }
    const third = await startEmbeddedServer({ dataDir, port: 0 });
    try {
      const session3 = await login({ url: third.url, credentials: credentials! });
      const noDefault = await session3.call('queues.get_default');
      expect(noDefault.envelope.meta.result_subcode).toBe(707);
    } finally {
      await third.close();
    }
    // only a hash of each secret is stored
    const db = new Database(join(dataDir, 'server.db'), { readonly: true });
    try {
      const dump = JSON.stringify(db.prepare('SELECT * FROM credentials').all());
      expect(dump).not.toContain(credentials!.secretKey);
      expect(dump).not.toContain(extra.secretKey);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('checkpoints the WAL into the database file in the background while serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tray-agent-wal-'));
    const server = await startEmbeddedServer({ dataDir: dir, port: 0 });
    try {
      const session = await login({ url: server.url, credentials: server.createdCredentials! });
      const dbFile = join(dir, 'server.db');
      const sizeBefore = statSync(dbFile).size;
      for (let i = 0; i < 100; i++) await createTask(session, { name: `wal task ${i}`, comment: 'x'.repeat(2000) });
      await expect.poll(() => statSync(dbFile).size, { timeout: 5000, interval: 100 }).toBeGreaterThan(sizeBefore + 100 * 1000);
      await server.close();
      // a clean close leaves no WAL behind
      expect(existsSync(join(dir, 'server.db-wal'))).toBe(false);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a data dir whose database is not ours, with the path in the error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tray-agent-bad-db-'));
    try {
      const db = new Database(join(dir, 'server.db'));
      db.pragma('user_version = 999');
      db.close();
      await expect(startEmbeddedServer({ dataDir: dir, port: 0 })).rejects.toThrow(/server\.db.*newer tray-agent/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a data dir that is a file, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tray-agent-file-'));
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    try {
      await expect(startEmbeddedServer({ dataDir: file, port: 0 })).rejects.toThrow(/cannot use .*not-a-dir as the server's data dir/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a port in use clearly', async () => {
    const firstDir = mkdtempSync(join(tmpdir(), 'tray-agent-port-'));
    const first = await startEmbeddedServer({ dataDir: firstDir, port: 0 });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'tray-agent-port2-'));
      await expect(startEmbeddedServer({ dataDir: dir, port: first.port })).rejects.toThrow(/already in use.*--port/);
      // the files port taken: the start fails naming --files-port, and leaves no API listener behind
      const freePort = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      await expect(startEmbeddedServer({ dataDir: dir, port: freePort, filesPort: first.filesPort })).rejects.toThrow(
        /embedded files server cannot listen: .*already in use.*--files-port/,
      );
      const again = await startEmbeddedServer({ dataDir: dir, port: freePort, filesPort: 0 });
      expect(again.port).toBe(freePort);
      await again.close();
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await first.close();
      rmSync(firstDir, { recursive: true, force: true });
    }
  });
});
