import { describe, expect, it } from 'vitest';
import { createTask, getTask, useServerSession, type Session, type JsonRecord } from './api-call.js';

let clock = Date.parse('2025-05-01T08:00:00Z');
let session: Session;

useServerSession((bed) => ({ session } = bed), { now: () => clock });

async function expectError(endpoint: string, body: unknown, code: number, subcode: number, version?: string): Promise<void> {
  const result = await session.call(endpoint, body, version ? { version } : {});
  expect([result.status, result.envelope.meta.result_subcode], `${endpoint}: ${result.envelope.meta.result_msg}`).toEqual([code, subcode]);
}

const script = { repository: 'https://example.com/repo.git', branch: 'main', entry_point: 'train.py', working_dir: '.', binary: 'python3', requirements: { pip: 'numpy\n' } };

describe('tasks: create, read, list', () => {
  it('creates a task in status created with the stored fields and ISO dates', async () => {
    const id = await createTask(session, {
      name: 'create me',
      script,
      container: { image: 'python:3.11', arguments: '-e X=1', setup_shell_script: 'echo hi' },
      hyperparams: { Args: { lr: { value: '0.1', type: 'float' } } },
      configuration: { cfg: { value: 'a: 1', type: 'yaml' } },
      unknown_key: 'dropped silently',
    });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const task = await getTask(session, id);
    expect(task).toMatchObject({
      id,
      name: 'create me',
      type: 'training',
      status: 'created',
      status_reason: '',
      status_message: '',
      tags: [],
      system_tags: [],
      script,
      container: { image: 'python:3.11', arguments: '-e X=1', setup_shell_script: 'echo hi' },
      hyperparams: { Args: { lr: { section: 'Args', name: 'lr', value: '0.1', type: 'float' } } },
      configuration: { cfg: { name: 'cfg', value: 'a: 1', type: 'yaml' } },
    });
    expect(task.created).toBe('2025-05-01T08:00:00.000000+00:00');
    expect(task).not.toHaveProperty('unknown_key');
    expect(task).not.toHaveProperty('enqueue_status');
  });

  it('validates name length (400/800), type (400/12), project and parent', async () => {
    await expectError('tasks.create', { name: 'ab', type: 'training' }, 400, 800);
    await expectError('tasks.create', { name: 'abc', type: 'nonsense' }, 400, 12);
    await expectError('tasks.create', { name: 'abc' }, 400, 12);
    await expectError('tasks.create', { name: 'abc', type: 'training', project: 'f'.repeat(32) }, 400, 401);
    await expectError('tasks.create', { name: 'abc', type: 'training', parent: 'f'.repeat(32) }, 400, 101);
    await expectError('tasks.get_by_id', { task: 'f'.repeat(32) }, 400, 101);
  });

  it('get_all filters (id, name regex, status, type, tags, hidden, dotted), orders, pages and projects', async () => {
    const project = (await session.ok<{ id: string }>('projects.create', { name: 'listing project' })).id;
    const a = await createTask(session, { name: 'list-a', project, tags: ['x'] });
    const b = await createTask(session, { name: 'list-b', project, type: 'testing', tags: ['y'] });
    const hidden = await createTask(session, { name: 'list-hidden', project, system_tags: ['hidden'] });
    await session.ok('tasks.enqueue', { task: b });
    const ids = async (body: Record<string, unknown>, version?: string) =>
      (await session.ok<{ tasks: Array<{ id: string }> }>('tasks.get_all', body, version ? { version } : {})).tasks.map((t) => t.id);
    expect(await ids({ project: [project] })).toEqual([a, b]);
    expect(await ids({ project: [project], search_hidden: true })).toEqual([a, b, hidden]);
    expect(await ids({ id: [hidden, 'f'.repeat(32)] })).toEqual([hidden]);
    expect(await ids({ name: '^list-[ab]$' })).toEqual([a, b]);
    expect(await ids({ project: [project], status: ['queued'] })).toEqual([b]);
    expect(await ids({ project: [project], type: ['-testing'] })).toEqual([a]);
    expect(await ids({ project: [project], tags: ['y'] })).toEqual([b]);
    expect(await ids({ project: [project], tags: ['-y'] })).toEqual([a]);
    const queue = (await session.ok<{ id: string }>('queues.get_default')).id;
    expect(await ids({ project: [project], 'execution.queue': queue })).toEqual([b]);
    expect(await ids({ project: [project], order_by: ['-name'] })).toEqual([b, a]);
    expect(await ids({ project: [project], order_by: ['name'], page: 1, page_size: 1 })).toEqual([b]);
    const projected = await session.ok<{ tasks: Array<Record<string, unknown>> }>('tasks.get_all', {
      id: [b],
      only_fields: ['status', 'execution.queue', 'script.requirements'],
    });
    expect(projected.tasks).toEqual([{ id: b, status: 'queued', execution: { queue } }]);
    await expectError('tasks.get_all', { name: '[' }, 400, 21);
  });

  it('renders legacy shapes for old API versions and folds legacy writes back', async () => {
    const id = await createTask(session, {
      name: 'legacy shapes',
      container: { image: 'nvidia/cuda:12', arguments: '--ipc=host' },
      hyperparams: { Args: { epochs: { value: '3', type: 'legacy' } }, TF_DEFINE: { depth: { value: '5', type: 'legacy' } }, General: { x: { value: '1' } } },
      models: { input: [{ name: 'in', model: 'm-in' }], output: [{ name: 'out', model: 'm-out' }] },
      system_tags: ['sys'],
    });
    const modern = await getTask(session, id);
    expect(modern.execution.docker_cmd).toBeUndefined();
    const v25 = await getTask(session, id, '2.5');
    expect(v25.execution.docker_cmd).toBe('nvidia/cuda:12 --ipc=host');
    expect(v25.execution.parameters).toEqual({ epochs: '3', 'TF_DEFINE/depth': '5' });
    expect(v25.execution.model).toBe('m-in');
    expect(v25.output.model).toBe('m-out');
    const v212 = await getTask(session, id, '2.12');
    expect(v212.execution.docker_cmd).toBe('nvidia/cuda:12 --ipc=host');
    expect(v212.execution.parameters).toBeUndefined();
    const v22 = await getTask(session, id, '2.2');
    expect(v22.tags).toEqual(['sys']);
    // the agent's v2.5 edit with a legacy docker_cmd becomes `container`
    await session.ok('tasks.edit', { task: id, execution: { docker_cmd: 'python:3.10 -v /a:/b' }, force: true }, { version: '2.5' });
    expect((await getTask(session, id)).container).toEqual({ image: 'python:3.10', arguments: '-v /a:/b' });
    await session.ok('tasks.edit', { task: id, execution: { parameters: { epochs: '7' } } }, { version: '2.5' });
    const after = await getTask(session, id);
    expect(after.hyperparams.Args).toEqual({ epochs: { section: 'Args', name: 'epochs', value: '7', type: 'legacy' } });
    expect(after.hyperparams.General.x.value).toBe('1');
  });
});

describe('tasks: edit, update, clone, delete, requirements, ping', () => {
  it('edit needs created unless force; merges script/execution, replaces runtime/container/hyperparams', async () => {
    const id = await createTask(session, { script, runtime: { a: 1, b: 2 }, container: { image: 'x:1', arguments: '-a' } });
    const edit = await session.ok<{ updated: number; fields: JsonRecord }>('tasks.edit', {
      task: id,
      script: { version_num: 'abc123' },
      runtime: { c: 3 },
      container: { image: 'y:2' },
    });
    expect(edit.updated).toBe(1);
    const task = await getTask(session, id);
    expect(task.script).toEqual({ ...script, version_num: 'abc123' });
    expect(task.runtime).toEqual({ c: 3 });
    expect(task.container).toEqual({ image: 'y:2' });
    await session.ok('tasks.started', { task: id });
    await expectError('tasks.edit', { task: id, comment: 'no' }, 400, 110);
    await session.ok('tasks.edit', { task: id, force: true, runtime: { _exec_agent_hostname: 'host' } });
    expect((await getTask(session, id)).runtime).toEqual({ _exec_agent_hostname: 'host' });
  });

  it('update sets name/tags/status_message/status without validation', async () => {
    const id = await createTask(session);
    const data = await session.ok<{ updated: number; fields: Record<string, unknown> }>('tasks.update', {
      task: id,
      status_message: 'pending in k8s',
      tags: ['k8s'],
      status: 'completed',
      output__error: 'boom',
      created: 'ignored',
    });
    expect(data).toMatchObject({ updated: 1, fields: { status_message: 'pending in k8s', tags: ['k8s'], status: 'completed', 'output.error': 'boom' } });
    const task = await getTask(session, id);
    expect(task).toMatchObject({ status: 'completed', status_message: 'pending in k8s', tags: ['k8s'], output: { error: 'boom' } });
  });

  it('clone copies what ClearML copies and drops the rest', async () => {
    const source = await createTask(session, {
      name: 'template',
      script,
      container: { image: 'img:1' },
      hyperparams: { Args: { lr: { value: '0.1' } } },
      system_tags: ['development', 'keep'],
      runtime: { x: 1 },
      execution: { artifacts: [{ key: 'in', type: 'x', mode: 'input' }, { key: 'out', type: 'x', mode: 'output' }] },
    });
    await session.ok('tasks.enqueue', { task: source });
    const { id } = await session.ok<{ id: string }>('tasks.clone', { task: source, new_task_name: 'the clone' });
    const clone = await getTask(session, id);
    expect(clone).toMatchObject({
      name: 'the clone',
      status: 'created',
      parent: source,
      script,
      container: { image: 'img:1' },
      hyperparams: { Args: { lr: { section: 'Args', name: 'lr', value: '0.1' } } },
      system_tags: ['keep'],
      execution: { artifacts: [{ key: 'in', type: 'x', mode: 'input' }] },
    });
    expect(clone.execution.queue).toBeUndefined();
    expect(clone.runtime).toEqual({});
    // a clone of a clone keeps the original parent; overrides and a new project apply
    const second = await session.ok<{ id: string; new_project: { id: string; name: string } }>('tasks.clone', {
      task: id,
      new_project_name: 'clones project',
      new_task_hyperparams: { Args: { lr: { value: '0.5' } } },
      execution_overrides: { docker_cmd: 'other:2 --x' },
    });
    const grandchild = await getTask(session, second.id);
    expect(grandchild.parent).toBe(source);
    expect(grandchild.project).toBe(second.new_project.id);
    expect(second.new_project.name).toBe('clones project');
    expect(grandchild.hyperparams.Args.lr.value).toBe('0.5');
    expect(grandchild.container).toEqual({ image: 'other:2', arguments: '--x' });
  });

  it('delete: created freely, others need force (400/123); removes queue entries and events', async () => {
    const id = await createTask(session);
    await session.ok('events.add_batch', undefined, {
      headers: { 'content-type': 'application/json-lines' },
      rawBody: JSON.stringify({ type: 'log', task: id, msg: 'x', level: 'INFO' }),
    });
    await session.ok('tasks.enqueue', { task: id });
    await expectError('tasks.delete', { task: id }, 400, 123);
    const data = await session.ok<JsonRecord>('tasks.delete', { task: id, force: true });
    expect(data).toMatchObject({ deleted: true, events: { deleted: 1 } });
    await expectError('tasks.get_by_id', { task: id }, 400, 101);
    const queue = (await session.ok<{ id: string }>('queues.get_default')).id;
    const entries = (await session.ok<{ queue: { entries: Array<{ task: string }> } }>('queues.get_by_id', { queue })).queue.entries;
    expect(entries.map((entry) => entry.task)).not.toContain(id);
  });

  it('set_requirements replaces script.requirements in any status, also of a task created without a script', async () => {
    const id = await createTask(session, { script });
    await session.ok('tasks.completed', { task: id, force: true });
    const data = await session.ok<Record<string, unknown>>('tasks.set_requirements', { task: id, requirements: { pip: ['numpy==2.0'], org_pip: 'numpy' } });
    expect(data).toEqual({ updated: 1, fields: { 'script.requirements': { pip: ['numpy==2.0'], org_pip: 'numpy' } } });
    expect((await getTask(session, id)).script.requirements).toEqual({ pip: ['numpy==2.0'], org_pip: 'numpy' });
    const bare = await createTask(session);
    await session.ok('tasks.set_requirements', { task: bare, requirements: { pip: 'six' } });
    expect((await getTask(session, bare)).script).toEqual({ binary: 'python', repository: '', entry_point: '', requirements: { pip: 'six' } });
  });

  it('ping bumps last_update (and active_duration while in progress)', async () => {
    const id = await createTask(session);
    await session.ok('tasks.started', { task: id });
    clock += 90_000;
    expect(await session.ok('tasks.ping', { task: id })).toEqual({});
    const task = await getTask(session, id);
    expect(task.last_update).toBe(new Date(clock).toISOString().replace('Z', '000+00:00'));
    expect(task.active_duration).toBe(90);
  });
});

describe('tasks: hyperparameters and configuration', () => {
  it('edit_hyper_params merges, replaces per section or all; get_hyper_params sorts', async () => {
    const id = await createTask(session, { hyperparams: { Args: { b: { value: '1' } }, Other: { z: { value: '9' } } } });
    await session.ok('tasks.edit_hyper_params', { task: id, hyperparams: [{ section: 'Args', name: 'a', value: 2 }] });
    let params = (await session.ok<{ params: Array<{ task: string; hyperparams: Array<Record<string, string>> }> }>('tasks.get_hyper_params', { tasks: [id] })).params;
    expect(params[0]?.hyperparams.map((p) => `${p.section}/${p.name}=${p.value}`)).toEqual(['Args/a=2', 'Args/b=1', 'Other/z=9']);
    await session.ok('tasks.edit_hyper_params', { task: id, hyperparams: [{ section: 'Args', name: 'c', value: '3' }], replace_hyperparams: 'section' });
    params = (await session.ok<typeof params extends infer P ? { params: P } : never>('tasks.get_hyper_params', { tasks: id })).params;
    expect(params[0]?.hyperparams.map((p) => `${p.section}/${p.name}`)).toEqual(['Args/c', 'Other/z']);
    await session.ok('tasks.edit_hyper_params', { task: id, hyperparams: [{ section: 'New', name: 'n', value: '1' }], replace_hyperparams: 'all' });
    expect(Object.keys((await getTask(session, id)).hyperparams)).toEqual(['New']);
    await expectError('tasks.edit_hyper_params', { task: id, hyperparams: [{ section: '', name: 'x', value: '1' }] }, 400, 12);
    await expectError('tasks.get_hyper_params', { tasks: [id, 'f'.repeat(32)] }, 400, 101);
  });

  it('only created (or in_progress with force) tasks take edits, except the properties section', async () => {
    const id = await createTask(session);
    await session.ok('tasks.started', { task: id });
    await expectError('tasks.edit_hyper_params', { task: id, hyperparams: [{ section: 'Args', name: 'x', value: '1' }] }, 400, 110);
    await session.ok('tasks.edit_hyper_params', { task: id, force: true, hyperparams: [{ section: 'Args', name: 'x', value: '1' }] });
    await session.ok('tasks.completed', { task: id });
    await expectError('tasks.edit_hyper_params', { task: id, force: true, hyperparams: [{ section: 'Args', name: 'x', value: '2' }] }, 400, 110);
    const before = (await getTask(session, id)).last_update;
    clock += 5000;
    await session.ok('tasks.edit_hyper_params', { task: id, hyperparams: [{ section: 'properties', name: 'k8s-queue', value: 'q' }] });
    const after = await getTask(session, id);
    expect(after.hyperparams.properties['k8s-queue'].value).toBe('q');
    expect(after.last_update).toBe(before);
  });

  it('get_configurations / get_configuration_names / edit_configuration / delete_hyper_params', async () => {
    const id = await createTask(session, { configuration: { b: { value: 'B' }, a: { value: 'A', type: 'yaml' }, empty: { value: '' } } });
    const all = await session.ok<{ configurations: Array<{ task: string; configuration: Array<Record<string, string>> }> }>('tasks.get_configurations', { tasks: [id] });
    expect(all.configurations[0]?.configuration.map((c) => c.name)).toEqual(['a', 'b', 'empty']);
    const named = await session.ok<typeof all>('tasks.get_configurations', { tasks: [id], names: ['b'] });
    expect(named.configurations[0]?.configuration).toEqual([{ name: 'b', value: 'B' }]);
    expect(await session.ok('tasks.get_configuration_names', { tasks: [id] })).toEqual({ configurations: [{ task: id, names: ['a', 'b'] }] });
    await session.ok('tasks.edit_configuration', { task: id, configuration: [{ name: 'c', value: 'C' }] });
    expect(Object.keys((await getTask(session, id)).configuration).sort()).toEqual(['a', 'b', 'c', 'empty']);
    await session.ok('tasks.edit_hyper_params', { task: id, hyperparams: [{ section: 'S', name: 'a', value: '1' }, { section: 'S', name: 'b', value: '2' }] });
    expect(await session.ok('tasks.delete_hyper_params', { task: id, hyperparams: [{ section: 'S', name: 'a' }] })).toEqual({ deleted: 1 });
    expect((await getTask(session, id)).hyperparams.S).toEqual({ b: { section: 'S', name: 'b', value: '2' } });
  });
});
