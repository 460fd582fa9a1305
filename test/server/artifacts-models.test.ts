import { describe, expect, it } from 'vitest';
import { createTask, getTask, useServerSession, type JsonRecord, type Session } from './api-call.js';

let session: Session;

useServerSession((bed) => ({ session } = bed));

async function expectError(endpoint: string, body: unknown, code: number, subcode: number): Promise<void> {
  const result = await session.call(endpoint, body);
  expect([result.status, result.envelope.meta.result_subcode], `${endpoint}: ${result.envelope.meta.result_msg}`).toEqual([code, subcode]);
}

/** An artifact as the SDK's upload_artifact sends it. */
function artifact(key: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key,
    type: 'custom',
    mode: 'output',
    uri: `http://127.0.0.1:8081/proj/task/artifacts/${key}/${key}.txt`,
    hash: 'abc',
    content_size: 12,
    timestamp: 1_700_000_000,
    type_data: { preview: 'hello', content_type: 'text/plain' },
    display_data: [['size', '12']],
    ...extra,
  };
}

describe('artifacts', () => {
  it('added, updated by key and mode, listed on the task sorted by key, deleted', async () => {
    const task = await createTask(session);
    await session.ok('tasks.started', { task, force: true });
    expect(await session.ok('tasks.add_or_update_artifacts', { task, artifacts: [artifact('zeta'), artifact('alpha')], force: true })).toEqual({ updated: 2 });
    expect(await session.ok('tasks.add_or_update_artifacts', { task, artifacts: [artifact('alpha', { hash: 'def' }), artifact('alpha', { mode: 'input' })] })).toEqual({ updated: 2 });
    let listed = (await getTask(session, task)).execution.artifacts as JsonRecord[];
    expect(listed.map((a) => [a.key, a.mode, a.hash])).toEqual([
      ['alpha', 'input', 'abc'],
      ['alpha', 'output', 'def'],
      ['zeta', 'output', 'abc'],
    ]);
    expect(listed[1]).toMatchObject({ type_data: { preview: 'hello', content_type: 'text/plain' }, display_data: [['size', '12']], content_size: 12 });
    const viaGetAll = await session.ok<{ tasks: JsonRecord[] }>('tasks.get_all', { id: [task], only_fields: ['execution.artifacts'] });
    expect(viaGetAll.tasks[0]?.execution.artifacts).toHaveLength(3);

    expect(await session.ok('tasks.delete_artifacts', { task, artifacts: [{ key: 'alpha' }, { key: 'nope' }] })).toEqual({ deleted: 1 });
    listed = (await getTask(session, task)).execution.artifacts as JsonRecord[];
    expect(listed.map((a) => [a.key, a.mode])).toEqual([
      ['alpha', 'input'],
      ['zeta', 'output'],
    ]);
  });

  it('only while created or in progress (ClearML behaves as force), and on known tasks', async () => {
    const task = await createTask(session);
    await session.ok('tasks.add_or_update_artifacts', { task, artifacts: [artifact('a')] });
    await session.ok('tasks.completed', { task, force: true });
    await expectError('tasks.add_or_update_artifacts', { task, artifacts: [artifact('b')], force: true }, 400, 110);
    await expectError('tasks.delete_artifacts', { task, artifacts: [{ key: 'a' }] }, 400, 110);
    await expectError('tasks.add_or_update_artifacts', { task: 'f'.repeat(32), artifacts: [artifact('b')] }, 400, 101);
    await expectError('tasks.add_or_update_artifacts', { task, artifacts: [] }, 400, 12);
  });

  it('clones keep input artifacts only; reset drops output artifacts', async () => {
    const task = await createTask(session);
    await session.ok('tasks.add_or_update_artifacts', { task, artifacts: [artifact('in', { mode: 'input' }), artifact('out')] });
    const clone = await getTask(session, (await session.ok<{ id: string }>('tasks.clone', { task })).id);
    expect((clone.execution.artifacts as JsonRecord[]).map((a) => a.key)).toEqual(['in']);
    await session.ok('tasks.reset', { task });
    expect(((await getTask(session, task)).execution.artifacts as JsonRecord[]).map((a) => a.key)).toEqual(['in']);
  });
});

describe('models', () => {
  it('OutputModel flow: create, edit with a URI, attach to the task, publish, list by task', async () => {
    const project = (await session.ok<{ id: string }>('projects.create', { name: 'models project' })).id;
    const task = await createTask(session, { project });
    await session.ok('tasks.started', { task, force: true });
    // what the SDK's Model._create_empty_model sends
    const created = await session.ok<{ id: string; created: boolean }>('models.create', { uri: 'file:///uploading_file', name: 'Anonymous model', labels: {}, project });
    expect(created.created).toBe(true);
    const model = created.id;
    const fresh = (await session.ok<{ model: JsonRecord }>('models.get_by_id', { model })).model;
    expect(fresh).toMatchObject({ id: model, name: 'Anonymous model', ready: false, project, labels: {}, tags: [], system_tags: [], design: {}, metadata: {}, comment: '' });
    // Model._edit after the upload
    const edited = await session.ok<JsonRecord>('models.edit', {
      model,
      uri: 'http://127.0.0.1:8081/models/weights.pt',
      name: 'my weights',
      design: { design: 'layers' },
      framework: 'PyTorch',
      iteration: 7,
      task,
      labels: { cat: 1 },
    });
    expect(edited.updated).toBe(1);
    expect(edited.fields).toMatchObject({ uri: 'http://127.0.0.1:8081/models/weights.pt', last_iteration: 7, task });
    // Model.update_for_task on API >= 2.13
    expect(await session.ok('tasks.add_or_update_model', { task, name: 'my weights', model, type: 'output', iteration: 7 })).toEqual({ updated: 1 });
    const withModel = await getTask(session, task);
    expect(withModel.models.output).toEqual([{ name: 'my weights', model, updated: expect.any(String) }]);
    expect(withModel.models.input).toEqual([]);

    const byTask = await session.ok<{ models: JsonRecord[] }>('models.get_all', { task: [task], only_fields: ['id', 'uri'] });
    expect(byTask.models).toEqual([{ id: model, uri: 'http://127.0.0.1:8081/models/weights.pt' }]);
    expect((await session.ok<{ model: JsonRecord }>('models.get_by_task_id', { task })).model.id).toBe(model);

    await session.ok('tasks.completed', { task });
    const published = await session.ok<JsonRecord>('tasks.publish', { task });
    expect(published).toMatchObject({ updated: 1, fields: { status: 'published', published: expect.any(String) } });
    expect((await getTask(session, task)).status).toBe('published');
    expect((await session.ok<{ model: JsonRecord }>('models.get_by_id', { model })).model.ready).toBe(true);
    const ready = await session.ok<{ models: JsonRecord[] }>('models.get_all', { ready: true, project: [project] });
    expect(ready.models.map((m) => m.id)).toEqual([model]);
  });

  it('publish follows the status machine; force overrides; set_ready publishes the creating task', async () => {
    const task = await createTask(session);
    await expectError('tasks.publish', { task }, 400, 110);
    await session.ok('tasks.started', { task, force: true });
    await expectError('tasks.publish', { task }, 400, 110);
    const model = (await session.ok<{ id: string }>('models.create', { uri: 'file:///m.bin', name: 'm', task })).id;
    await session.ok('tasks.stopped', { task });
    const set = await session.ok<JsonRecord>('models.set_ready', { model });
    expect(set).toMatchObject({ updated: 1, published_task: { id: task, data: { updated: 1, fields: { status: 'published' } } } });
    const again = await session.ok<JsonRecord>('models.set_ready', { model, publish_task: false });
    expect(again).toEqual({ updated: 0, published_task: null });
    const other = await createTask(session);
    expect((await session.ok<JsonRecord>('tasks.publish', { task: other, force: true })).fields.status).toBe('published');
  });

  it('InputModel: a task uses a model; deleting it needs force; delete_many and archive_many per id', async () => {
    const producer = await createTask(session);
    const consumer = await createTask(session);
    const model = (await session.ok<{ id: string }>('models.create', { uri: 'file:///in.bin', name: 'input', ready: true })).id;
    await session.ok('tasks.add_or_update_model', { task: consumer, name: 'input', model, type: 'input' });
    expect((await getTask(session, consumer)).models.input).toEqual([{ name: 'input', model, updated: expect.any(String) }]);
    await expectError('models.delete', { model }, 400, 205);
    expect(await session.ok('models.delete', { model, force: true })).toEqual({ deleted: true, url: 'file:///in.bin' });
    expect((await getTask(session, consumer)).models.input).toEqual([]);
    await expectError('models.get_by_id', { model }, 400, 201);
    await expectError('tasks.add_or_update_model', { task: producer, name: 'gone', model, type: 'input' }, 400, 201);

    const a = (await session.ok<{ id: string }>('models.create', { uri: 'file:///a', name: 'a' })).id;
    const archived = await session.ok<JsonRecord>('models.archive_many', { ids: [a, 'f'.repeat(32)] });
    expect(archived.succeeded).toEqual([{ id: a, archived: 1 }]);
    expect(archived.failed).toEqual([{ id: 'f'.repeat(32), error: { codes: [400, 201], msg: expect.any(String), data: {} } }]);
    expect((await session.ok<{ model: JsonRecord }>('models.get_by_id', { model: a })).model.system_tags).toEqual(['archived']);
    expect((await session.ok<JsonRecord>('models.unarchive_many', { ids: [a] })).succeeded).toEqual([{ id: a, unarchived: 1 }]);
    const deleted = await session.ok<JsonRecord>('models.delete_many', { ids: [a] });
    expect(deleted.succeeded).toEqual([{ id: a, deleted: true, url: 'file:///a' }]);
  });

  it('update_for_task creates the task output model, then updates the draft; metadata edits', async () => {
    const task = await createTask(session, { name: 'trainer' });
    const first = await session.ok<JsonRecord>('models.update_for_task', { task, uri: 'file:///w1', iteration: 1 });
    expect(first).toMatchObject({ created: true, id: expect.any(String) });
    const second = await session.ok<JsonRecord>('models.update_for_task', { task, uri: 'file:///w2' });
    expect(second).toMatchObject({ created: false, id: first.id, updated: 1 });
    const model = (await session.ok<{ model: JsonRecord }>('models.get_by_id', { model: first.id })).model;
    expect(model).toMatchObject({ name: 'trainer', uri: 'file:///w2', task, last_iteration: 1 });
    expect((await getTask(session, task)).models.output).toEqual([{ name: 'trainer', model: first.id, updated: expect.any(String) }]);
    await expectError('models.update_for_task', { task }, 400, 11);

    await session.ok('models.add_or_update_metadata', { model: first.id, metadata: [{ key: 'acc', type: 'float', value: '0.9' }, { key: 'tag', value: 'x' }] });
    await session.ok('models.delete_metadata', { model: first.id, keys: ['tag'] });
    expect((await session.ok<{ model: JsonRecord }>('models.get_by_id', { model: first.id })).model.metadata).toEqual({ acc: { key: 'acc', type: 'float', value: '0.9' } });
  });

  it('Task.delete: the SDK lists the task models, then deletes the task, which takes its unused output models', async () => {
    const task = await createTask(session);
    const model = (await session.ok<{ id: string }>('models.create', { uri: 'file:///out.bin', name: 'out', task })).id;
    await session.ok('tasks.add_or_update_model', { task, name: 'out', model, type: 'output' });
    await session.ok('tasks.add_or_update_artifacts', { task, artifacts: [artifact('report')] });
    const listed = await session.ok<{ models: JsonRecord[] }>('models.get_all', { task: [task], only_fields: ['id', 'uri'] });
    expect(listed.models.map((m) => m.id)).toEqual([model]);
    const deleted = await session.ok<JsonRecord>('tasks.delete', { task, force: true, return_file_urls: true });
    expect(deleted).toMatchObject({ deleted: true, urls: { model_urls: ['file:///out.bin'], artifact_urls: [artifact('report').uri] } });
    await expectError('models.get_by_id', { model }, 400, 201);
  });

  it('tasks.delete_models, archive / unarchive, get_types', async () => {
    const project = (await session.ok<{ id: string }>('projects.create', { name: 'types project' })).id;
    const task = await createTask(session, { project, type: 'testing' });
    await createTask(session, { project, type: 'inference' });
    const model = (await session.ok<{ id: string }>('models.create', { uri: 'file:///x', name: 'x' })).id;
    await session.ok('tasks.add_or_update_model', { task, name: 'x', model, type: 'input' });
    expect(await session.ok('tasks.delete_models', { task, models: [{ name: 'x', type: 'input' }] })).toEqual({ updated: 1 });
    expect((await getTask(session, task)).models).toEqual({ input: [], output: [] });

    await session.ok('tasks.enqueue', { task });
    expect(await session.ok('tasks.archive', { tasks: [task] })).toEqual({ archived: 1 });
    const archived = await getTask(session, task);
    expect(archived.system_tags).toContain('archived');
    expect(archived.status).toBe('created');
    expect(archived.execution.queue).toBeUndefined();
    expect((await session.ok<JsonRecord>('tasks.unarchive_many', { ids: [task] })).succeeded).toEqual([{ id: task, unarchived: 1 }]);
    expect((await getTask(session, task)).system_tags).not.toContain('archived');
    expect((await session.ok<JsonRecord>('tasks.archive_many', { ids: [task] })).succeeded).toEqual([{ id: task, archived: 1 }]);

    expect(await session.ok('tasks.get_types', { projects: [project] })).toEqual({ types: ['inference', 'testing'] });
    expect(((await session.ok<{ types: string[] }>('tasks.get_types')).types)).toContain('training');
  });
});
