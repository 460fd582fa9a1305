import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, ApiError, cliArgsSystemTag, type ApiClient } from '../../../src-main/engine/api/index.js';
import { startTestServer } from '../../helpers/embedded-server.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** Every wrapped endpoint over real HTTP against the embedded server. */
describe('API client ↔ embedded server', () => {
  let server: TestServer;
  let client: ApiClient;
  let queueId: string;

  beforeAll(async () => {
    server = await startTestServer();
    client = createApiClient({ apiServer: server.url, credentials: server.credentials, workerName: 'test-host' });
    queueId = (await client.queues.create({ name: 'api-client-queue' })).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createTask(name: string): Promise<string> {
    return (await client.tasks.create({ name, script: { repository: '', entry_point: 'run.py', diff: 'print(1)\n', binary: 'python3' } })).id;
  }

  it('logs in and reads the capabilities, including long-poll', async () => {
    await client.login();
    const caps = client.capabilities();
    expect(caps.apiVersion).toMatch(/^2\.\d+$/);
    expect(caps.longPollMaxMs).toBeGreaterThan(0);
    expect(caps.trayAgentExtensions).toBe(true);
    const info = await client.server.info();
    expect(info.api_version).toBe(caps.apiVersion);
  });

  it('queues: create, get_all by exact name, get_by_id, update tags, default queue, resolve names', async () => {
    expect(await client.queues.resolveId('api-client-queue')).toBe(queueId);
    expect(await client.queues.resolveId('API-CLIENT-QUEUE')).toBe(queueId);
    expect(await client.queues.resolveId(queueId)).toBe(queueId);
    await expect(client.queues.resolveId('api-client')).rejects.toThrow(/queue "api-client" not found/);
    const [listed] = await client.queues.getAll({ id: [queueId] });
    expect(listed?.name).toBe('api-client-queue');
    const updated = await client.queues.update({ queue: queueId, tags: ['force_workers:on'] });
    expect(updated.updated).toBe(1);
    expect((await client.queues.getById(queueId)).tags).toEqual(['force_workers:on']);
    // A fresh embedded server comes with its default queue.
    const defaultQueue = await client.queues.getDefault();
    expect((await client.queues.getById(defaultQueue.id)).system_tags).toContain('default');
    await client.queues.create({ name: 'api-second-default', systemTags: ['default'] });
    const twoDefaults = (await client.queues.getDefault().catch((e: unknown) => e)) as ApiError;
    expect(twoDefaults.is(400, 708)).toBe(true);
  });

  it('tasks: create → enqueue → peek/num entries → get_next_task → started → ping → completed', async () => {
    const taskId = await createTask('api-lifecycle');
    const enqueued = await client.tasks.enqueue({ task: taskId, queue: queueId });
    expect(enqueued.queued).toBe(1);
    expect(await client.queues.getNumEntries(queueId)).toBe(1);
    expect(await client.queues.peekTask(queueId)).toBe(taskId);
    const entry = await client.queues.getNextTask({ queue: queueId, getTaskInfo: true });
    expect(entry?.task).toBe(taskId);
    expect(await client.queues.getNextTask({ queue: queueId })).toBeNull();
    const started = await client.tasks.started({ task: taskId, force: true, statusMessage: 'pulled by agent' });
    expect(started.started).toBe(1);
    await client.tasks.ping({ task: taskId });
    await client.tasks.setRequirements({ task: taskId, requirements: { pip: ['numpy==2.0'], org_pip: 'numpy' } });
    await client.tasks.completed({ task: taskId, statusReason: 'worker execution done' });
    const done = await client.tasks.getById(taskId);
    expect(done.status).toBe('completed');
    expect(done.script?.requirements?.pip).toEqual(['numpy==2.0']);
  });

  it('long-polls get_next_task until a task is enqueued', async () => {
    const taskId = await createTask('api-long-poll');
    const waiting = client.queues.getNextTask({ queue: queueId, waitMs: 5_000 });
    setTimeout(() => void client.tasks.enqueue({ task: taskId, queue: queueId }), 200);
    const started = Date.now();
    expect((await waiting)?.task).toBe(taskId);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('tasks: failed, stopped, stop, dequeue, reset, clone, edit, hyper params, get_all filters', async () => {
    const a = await createTask('api-failing');
    await client.tasks.started({ task: a, force: true });
    await client.tasks.failed({ task: a, statusReason: 'worker execution exit code 3' });
    expect((await client.tasks.getById(a)).status).toBe('failed');
    await client.tasks.reset({ task: a });
    expect((await client.tasks.getById(a)).status).toBe('created');

    const b = await createTask('api-stopping');
    await client.tasks.enqueue({ task: b, queue: queueId });
    await client.tasks.dequeue({ task: b });
    expect((await client.tasks.getById(b)).status).toBe('created');
    await client.tasks.enqueue({ task: b, queue: queueId });
    await client.tasks.stop({ task: b });
    expect((await client.tasks.getById(b)).status).toBe('stopped');

    const c = await createTask('api-stopped-run');
    await client.tasks.started({ task: c, force: true });
    await client.tasks.stopped({ task: c, statusReason: 'user abort' });
    expect((await client.tasks.getById(c)).status).toBe('stopped');

    const clone = await client.tasks.clone({ task: a, newTaskName: 'api-clone' });
    const cloned = await client.tasks.getById(clone.id);
    expect(cloned).toMatchObject({ name: 'api-clone', status: 'created' });

    await client.tasks.edit({ task: clone.id, container: { image: 'python:3.12', arguments: '--ipc=host' }, systemTags: [cliArgsSystemTag] });
    await client.tasks.editHyperParams({ task: clone.id, hyperparams: [{ section: 'Args', name: 'lr', value: '0.1' }] });
    const [params] = await client.tasks.getHyperParams([clone.id]);
    expect(params?.hyperparams).toEqual([expect.objectContaining({ section: 'Args', name: 'lr', value: '0.1' })]);
    const edited = await client.tasks.getById(clone.id);
    expect(edited.container?.image).toBe('python:3.12');
    expect(edited.system_tags).toContain(cliArgsSystemTag);

    const found = await client.tasks.getAll({ id: [a, b, c], status: ['stopped'], onlyFields: ['id', 'status'] });
    expect(found.map((t) => t.id).sort()).toEqual([b, c].sort());
    const byQueue = await client.tasks.getAll({ extra: { 'execution.queue': queueId }, onlyFields: ['id'] });
    expect(byQueue.length).toBeGreaterThan(0);
  });

  it('queues: add_task and remove_task without status change', async () => {
    const taskId = await createTask('api-queue-entry');
    expect(await client.queues.addTask({ queue: queueId, task: taskId })).toEqual({ added: 1 });
    expect((await client.queues.getById(queueId)).entries?.map((e) => e.task)).toContain(taskId);
    expect(await client.queues.removeTask({ queue: queueId, task: taskId })).toEqual({ removed: 1 });
    expect((await client.tasks.getById(taskId)).status).toBe('created');
  });

  it('workers: register, status_report with task and stats, get_all, unregister', async () => {
    const taskId = await createTask('api-worker-task');
    await client.tasks.started({ task: taskId, force: true });
    await client.workers.register({ worker: 'test-host:0', queues: [queueId] });
    await client.workers.statusReport({ worker: 'test-host:0', queues: [queueId], queue: queueId, task: taskId, machineStats: { cpu_usage: [12.5], memory_used: 1024, gpu_usage: [50, 60] } });
    const workers = await client.workers.getAll({ lastSeenSec: 0 });
    const worker = workers.find((w) => w.id === 'test-host:0');
    expect(worker?.task?.id).toBe(taskId);
    expect(worker?.queues?.map((q) => q.id)).toContain(queueId);
    expect((await client.tasks.getById(taskId)).last_worker).toBe('test-host:0');
    await client.workers.unregister({ worker: 'test-host:0' });
    expect((await client.workers.getAll({ lastSeenSec: 0 })).some((w) => w.id === 'test-host:0')).toBe(false);
  });

  it('workers: runtime properties round-trip', async () => {
    await client.workers.register({ worker: 'test-host:1', queues: [queueId] });
    await client.workers.setRuntimeProperties({ worker: 'test-host:1', runtimeProperties: [{ key: 'force', value: 'off' }] });
    expect(await client.workers.getRuntimeProperties({ worker: 'test-host:1' })).toEqual([expect.objectContaining({ key: 'force', value: 'off' })]);
  });

  it('events: add_batch splits big messages; get_task_log reads them back in order, also after_seq', async () => {
    const taskId = await createTask('api-events');
    await client.tasks.started({ task: taskId, force: true });
    const big = 'x'.repeat(70 * 1024);
    const base = Date.now();
    const result = await client.events.addBatch([
      { type: 'log', task: taskId, level: 'INFO', msg: 'first\n', timestamp: base },
      { type: 'log', task: taskId, level: 'DEBUG', msg: big, timestamp: base + 1 },
      { type: 'log', task: taskId, level: 'INFO', msg: 'last\n', timestamp: base + 2 },
    ]);
    expect(result).toMatchObject({ added: 4, errors: 0, requests: 1 });
    const { events } = await client.events.getTaskLog({ task: taskId, batchSize: 100, navigateEarlier: false, order: 'asc' });
    expect(events.map((e) => e.msg).join('')).toBe(`first\n${big}last\n`);
    const seqs = events.map((e) => e.seq as number);
    const after = await client.events.getTaskLog({ task: taskId, batchSize: 100, afterSeq: seqs[1]! });
    expect(after.events.map((e) => e.seq)).toEqual(seqs.slice(2));
  });

  it('generic call reaches any endpoint and errors carry code and endpoint', async () => {
    const data = await client.call('tasks.get_all', { id: ['0'.repeat(32)] }, { version: '2.14' });
    expect(data['tasks']).toEqual([]);
    const error = (await client.tasks.getById('0'.repeat(32)).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.is(400, 101)).toBe(true);
    expect(error.endpoint).toBe('tasks.get_by_id');
  });

  it('projects: resolve a name, creating it once', async () => {
    const id = await client.projects.resolveId('api-project', { create: true });
    expect(await client.projects.resolveId('api-project')).toBe(id);
  });
});
