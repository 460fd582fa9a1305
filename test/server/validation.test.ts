import { describe, expect, it } from 'vitest';
import { createTask, getTask, useServerSession, type JsonRecord, type Session } from './api-call.js';

let session: Session;
let task: string;
let queue: string;

useServerSession((bed) => ({ session } = bed));

async function expectAnswer(endpoint: string, body: unknown, code: number, subcode: number, message?: string | RegExp): Promise<void> {
  const result = await session.call(endpoint, body);
  const { result_code, result_subcode, result_msg } = result.envelope.meta;
  expect([result.status, result_code, result_subcode], `${endpoint} ${JSON.stringify(body)}: ${result_msg}`).toEqual([code, code, subcode]);
  if (typeof message === 'string') expect(result_msg).toBe(message);
  else if (message) expect(result_msg).toMatch(message);
}

const required = (field: string) => `validation error (error for field '${field}'. field is required!)`;

describe('validation as ClearML answers it', () => {
  it('setup', async () => {
    task = await createTask(session);
    queue = (await session.ok<{ id: string }>('queues.get_default')).id;
  });

  it('a missing required field is 400/12 "field is required!" in every endpoint family', async () => {
    await expectAnswer('tasks.get_by_id', {}, 400, 12, required('task'));
    await expectAnswer('tasks.create', { type: 'training' }, 400, 12, required('name'));
    await expectAnswer('tasks.edit_hyper_params', { task, hyperparams: [{ section: 'Args', value: '1' }] }, 400, 12, required('hyperparams.0.name'));
    await expectAnswer('queues.get_next_task', {}, 400, 12, required('queue'));
    await expectAnswer('queues.add_task', { queue }, 400, 12, required('task'));
    await expectAnswer('workers.status_report', { worker: 'w' }, 400, 12, required('timestamp'));
    await expectAnswer('events.get_task_log', {}, 400, 12, required('task'));
    await expectAnswer('auth.login', { expiration_sec: 'soon' }, 400, 12, /expiration_sec/);
    await expectAnswer('models.create', { name: 'm' }, 400, 12, required('uri'));
    await expectAnswer('models.edit', { uri: 'x' }, 400, 12, required('model'));
    await expectAnswer('tasks.add_or_update_artifacts', { task }, 400, 12, required('artifacts'));
  });

  it('except where ClearML lists required fields by hand: projects.create is 400/11', async () => {
    await expectAnswer('projects.create', {}, 400, 11, 'missing required fields: missing=(name)');
  });

  it('wrongly typed optional fields are refused, top level and nested', async () => {
    await expectAnswer('tasks.stopped', { task, force: true, status_message: 12345 }, 400, 12, /error for field 'status_message'/);
    await expectAnswer('workers.status_report', { worker: 'w', timestamp: 1, machine_stats: { cpu_usage: 'x' } }, 400, 12, /error for field 'machine_stats.cpu_usage'/);
    await expectAnswer('workers.status_report', { worker: 'w', timestamp: 1, machine_stats: { memory_used: [1] } }, 400, 12, /machine_stats.memory_used/);
    await expectAnswer('tasks.create', { name: 'typed', type: 'training', container: { image: 5 } }, 400, 12, /container.image/);
    await expectAnswer('queues.get_all', { page_size: 'many' }, 400, 12, /page_size/);
    await expectAnswer('models.create', { name: 'm', uri: 'x', labels: { cat: 'one' } }, 400, 12, /labels.cat/);
    // keys the schema does not know inside machine_stats pass (clearml-agent sends gpu_fraction)
    await session.ok('workers.status_report', { worker: 'w', timestamp: 1, machine_stats: { cpu_usage: [1.5], gpu_fraction: [0.5], memory_used: 100 } });
  });

  it('unknown fields inside task sub-documents are refused instead of dropped', async () => {
    await expectAnswer('tasks.create', { name: 'strict', type: 'training', script: { repository: 'r', entry: 'x.py' } }, 400, 12, "validation error (error for field 'script'. unknown field 'entry')");
    await expectAnswer('tasks.edit', { task, execution: { queue: 'q', priority: 1 } }, 400, 12, /field 'execution'. unknown field 'priority'/);
    await expectAnswer('tasks.edit', { task, output: { destination: 'x', bucket: 'y' } }, 400, 12, /output/);
    await expectAnswer('tasks.edit', { task, models: { input: [{ model: 'm', weights: 1 }] } }, 400, 12, /models.input.0/);
    await expectAnswer('tasks.edit', { task, hyperparams: { Args: { lr: { value: '1', unit: 'x' } } } }, 400, 12, /hyperparams.Args.lr/);
    await expectAnswer('tasks.add_or_update_artifacts', { task, artifacts: [{ key: 'a', type: 'str', colour: 'red' }] }, 400, 12, /artifacts.0/);
    // unknown top-level fields are ignored, as ClearML does
    await session.ok('tasks.edit', { task, comment: 'fine', no_such_field: true });
    expect((await getTask(session, task)).comment).toBe('fine');
  });

  it('bad enum values are 400/12', async () => {
    await expectAnswer('tasks.create', { name: 'enum', type: 'nonsense' }, 400, 12, /error for field 'type'/);
    await expectAnswer('tasks.edit_hyper_params', { task, hyperparams: [], replace_hyperparams: 'some' }, 400, 12, /replace_hyperparams/);
    await expectAnswer('events.get_task_log', { task, order: 'sideways' }, 400, 12, /order/);
    await expectAnswer('tasks.add_or_update_model', { task, name: 'm', model: 'x', type: 'sideways' }, 400, 12, /type/);
  });

  it('malformed JSON and non-object bodies are 400/0', async () => {
    for (const endpoint of ['tasks.create', 'queues.get_all', 'workers.register', 'events.add', 'projects.create']) {
      const result = await session.call(endpoint, undefined, { rawBody: '{"name": ' });
      expect([result.status, result.envelope.meta.result_subcode], endpoint).toEqual([400, 0]);
      expect(result.envelope.meta.result_msg).toMatch(/malformed JSON/);
    }
    const list = await session.call('tasks.get_all', undefined, { rawBody: '[1]' });
    expect([list.status, list.envelope.meta.result_subcode]).toEqual([400, 0]);
  });

  it('string booleans and digit-string integers are accepted; other strings for booleans are refused (safer than ClearML)', async () => {
    const id = await createTask(session);
    // created → completed needs force: "false" must mean false (ClearML would read the non-empty string as true)
    await expectAnswer('tasks.completed', { task: id, force: 'false' }, 400, 110);
    await expectAnswer('tasks.completed', { task: id, force: 0 }, 400, 110);
    await session.ok('tasks.completed', { task: id, force: 'TRUE' });
    expect((await getTask(session, id)).status).toBe('completed');
    await expectAnswer('tasks.completed', { task: id, force: 'yes' }, 400, 12, /error for field 'force'/);
    const page = await session.ok<{ tasks: JsonRecord[] }>('tasks.get_all', { id: [id], page: '0', page_size: '5' });
    expect(page.tasks.map((t) => t.id)).toEqual([id]);
  });
});
