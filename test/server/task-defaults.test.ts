import { describe, expect, it } from 'vitest';
import { createTask, getTask, useServerSession, type JsonRecord, type Session } from './api-call.js';

let session: Session;

useServerSession((bed) => ({ session } = bed));

/** The sub-documents ClearML's server always returns (the SDK reads them without checks). */
function expectDefaults(task: JsonRecord): void {
  expect(task.output).toBeTypeOf('object');
  expect(task.models).toEqual({ input: expect.any(Array), output: expect.any(Array) });
  expect(task.last_metrics).toBeTypeOf('object');
  expect(task.runtime).toBeTypeOf('object');
  expect(task.last_iteration).toBeTypeOf('number');
  expect(task.execution).toMatchObject({ artifacts: expect.any(Array), model_labels: expect.any(Object) });
  expect(task.script).toMatchObject({ binary: expect.any(String), repository: expect.any(String), entry_point: expect.any(String) });
  expect(task.container).toBeTypeOf('object');
  expect(task.hyperparams).toBeTypeOf('object');
  expect(task.configuration).toBeTypeOf('object');
}

describe('task documents carry ClearML defaults', () => {
  it('a bare tasks.create answers with every default sub-document', async () => {
    const task = await getTask(session, await createTask(session));
    expectDefaults(task);
    expect(task).toMatchObject({
      output: {},
      models: { input: [], output: [] },
      last_metrics: {},
      runtime: {},
      last_iteration: 0,
      execution: { artifacts: [], model_labels: {}, test_split: 0 },
      script: { binary: 'python', repository: '', entry_point: '' },
    });
    const listed = await session.ok<{ tasks: JsonRecord[] }>('tasks.get_all', { id: [task.id] });
    expectDefaults(listed.tasks[0] as JsonRecord);
  });

  it('output_dest on create and edit is stored as output.destination', async () => {
    const id = await createTask(session, { output_dest: 'http://files:8081' });
    const created = await getTask(session, id);
    expect(created.output).toEqual({ destination: 'http://files:8081' });
    expect(created.output_dest).toBeUndefined();
    const edited = await session.ok<JsonRecord>('tasks.edit', { task: id, output_dest: 's3://bucket/out' });
    expect(edited).toEqual({ updated: 1, fields: { 'output.destination': 's3://bucket/out' } });
    const task = await getTask(session, id);
    expect(task.output).toEqual({ destination: 's3://bucket/out' });
    expect(task.output_dest).toBeUndefined();
    expectDefaults(task);
  });

  it('clone and reset keep the defaults; clone keeps the output destination', async () => {
    const id = await createTask(session, { output_dest: 'file:///tmp/out', script: { repository: 'https://x/y.git', entry_point: 'train.py' } });
    await session.ok('tasks.edit', { task: id, runtime: { progress: 50 } });
    const clone = await getTask(session, (await session.ok<{ id: string }>('tasks.clone', { task: id })).id);
    expectDefaults(clone);
    expect(clone.output).toEqual({ destination: 'file:///tmp/out' });
    expect(clone.runtime).toEqual({});
    expect(clone.script).toEqual({ binary: 'python', repository: 'https://x/y.git', entry_point: 'train.py' });
    await session.ok('tasks.started', { task: id, force: true });
    await session.ok('events.add', { type: 'training_stats_scalar', task: id, metric: 'loss', variant: 'train', value: 0.5, iter: 3 });
    expect((await getTask(session, id)).last_iteration).toBe(3);
    await session.ok('tasks.reset', { task: id, force: true });
    const reset = await getTask(session, id);
    expectDefaults(reset);
    expect(reset).toMatchObject({ status: 'created', last_metrics: {}, runtime: {}, last_iteration: 0, models: { input: [], output: [] } });
    expect(reset.output).toEqual({ destination: 'file:///tmp/out' });
  });

  it('older API versions still get the defaults alongside their legacy fields', async () => {
    const id = await createTask(session, { container: { image: 'python:3.11', arguments: '--rm' } });
    const v25 = await getTask(session, id, '2.5');
    expectDefaults(v25);
    expect(v25.execution.docker_cmd).toBe('python:3.11 --rm');
  });
});
