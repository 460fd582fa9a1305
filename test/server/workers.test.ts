import { describe, expect, it } from 'vitest';
import { createTask, defaultQueueId, getTask, useServerSession, type Session, type JsonRecord } from './api-call.js';

let clock = Date.parse('2025-07-01T00:00:00Z');
let session: Session;

useServerSession((bed) => ({ session } = bed), { now: () => clock });

type WorkerView = JsonRecord;
async function workers(body: Record<string, unknown> = {}): Promise<WorkerView[]> {
  return (await session.ok<{ workers: WorkerView[] }>('workers.get_all', body)).workers;
}

describe('workers', () => {
  it('register stores the worker with its queues; unknown queue → 400/701; timeout ≤ 0 → 400/1002', async () => {
    const queue = await defaultQueueId(session);
    expect(await session.ok('workers.register', { worker: 'box:gpu0', queues: [queue], tags: ['t'] })).toEqual({});
    const [view] = (await workers()).filter((w) => w.id === 'box:gpu0');
    expect(view).toMatchObject({
      id: 'box:gpu0',
      register_timeout: 600,
      tags: ['t'],
      queues: [{ id: queue, name: 'default', num_tasks: expect.any(Number) }],
      user: { id: expect.any(String), name: 'Tray Agent' },
      ip: expect.any(String),
    });
    expect(view?.register_time).toMatch(/\+00:00$/);
    const bad = await session.call('workers.register', { worker: 'box:x', queues: ['f'.repeat(32)] });
    expect([bad.status, bad.envelope.meta.result_subcode]).toEqual([400, 701]);
    const zero = await session.call('workers.register', { worker: 'box:x', timeout: 0 });
    expect([zero.status, zero.envelope.meta.result_subcode]).toEqual([400, 1002]);
    expect(await session.ok('workers.unregister', { worker: 'box:gpu0' })).toEqual({});
    expect((await workers()).map((w) => w.id)).not.toContain('box:gpu0');
    // unknown worker: not an error
    expect(await session.ok('workers.unregister', { worker: 'never-registered' })).toEqual({});
  });

  it('registrations expire after their TTL unless status_report refreshes them', async () => {
    await session.ok('workers.register', { worker: 'ttl-a', timeout: 60 });
    await session.ok('workers.register', { worker: 'ttl-b', timeout: 60 });
    clock += 50_000;
    await session.ok('workers.status_report', { worker: 'ttl-b', timestamp: clock });
    clock += 20_000;
    const ids = (await workers()).map((w) => w.id);
    expect(ids).not.toContain('ttl-a');
    expect(ids).toContain('ttl-b');
    clock += 61_000;
    expect((await workers()).map((w) => w.id)).not.toContain('ttl-b');
  });

  it('status_report auto-registers, tracks the task (last_worker, last_update) and clears it when absent', async () => {
    const queue = await defaultQueueId(session);
    const task = await createTask(session, { name: 'reported task' });
    await session.ok('tasks.started', { task, force: true });
    clock += 1000;
    expect(await session.ok('workers.status_report', { worker: 'auto:1', timestamp: clock, queues: [queue], queue, task, machine_stats: { cpu_usage: [12.5], memory_used: 1000, gpu_usage: [1, 2] } })).toEqual({});
    const stored = await getTask(session, task);
    expect(stored.last_worker).toBe('auto:1');
    expect(stored.last_update).toBe(new Date(clock).toISOString().replace('Z', '000+00:00'));
    let [view] = (await workers()).filter((w) => w.id === 'auto:1');
    expect(view?.task).toMatchObject({ id: task, name: 'reported task' });
    expect(view?.queue).toMatchObject({ id: queue });
    expect(view?.last_report_time).toMatch(/\+00:00$/);
    await session.ok('workers.status_report', { worker: 'auto:1', timestamp: clock });
    [view] = (await workers()).filter((w) => w.id === 'auto:1');
    expect(view?.task).toBeUndefined();
    expect(view?.queue).toBeUndefined();
    expect(view?.queues).toEqual([expect.objectContaining({ id: queue })]);
    const missing = await session.call('workers.status_report', { worker: 'auto:1', timestamp: clock, task: 'f'.repeat(32) });
    expect([missing.status, missing.envelope.meta.result_subcode]).toEqual([400, 101]);
  });

  it('get_all filters by last_seen and worker_pattern', async () => {
    await session.ok('workers.register', { worker: 'pattern-host:gpu0' });
    await session.ok('workers.register', { worker: 'pattern-host:gpu1', timeout: 100_000 });
    clock += 4000_000;
    await session.ok('workers.status_report', { worker: 'pattern-host:gpu0', timestamp: clock });
    expect((await workers({ worker_pattern: 'pattern-host:*' })).map((w) => w.id)).toEqual(['pattern-host:gpu0']);
    expect((await workers({ worker_pattern: 'pattern-host:gpu?', last_seen: 0 })).map((w) => w.id).sort()).toEqual(['pattern-host:gpu0', 'pattern-host:gpu1']);
  });

  it('runtime properties: set, read with seconds to expiry, gone once expired, null deletes', async () => {
    await session.ok('workers.set_runtime_properties', {
      worker: 'props:0',
      runtime_properties: [
        { key: 'force', value: 'off', expiry: 120 },
        { key: 'available_gpus', value: '0_5,1_' },
      ],
    });
    let props = (await session.ok<{ runtime_properties: Array<Record<string, unknown>> }>('workers.get_runtime_properties', { worker: 'props:0' })).runtime_properties;
    expect(props).toEqual([
      { key: 'available_gpus', value: '0_5,1_', expiry: null },
      { key: 'force', value: 'off', expiry: 120 },
    ]);
    clock += 30_000;
    props = (await session.ok<typeof props extends infer P ? { runtime_properties: P } : never>('workers.get_runtime_properties', { worker: 'props:0' })).runtime_properties;
    expect(props.find((p) => p.key === 'force')?.expiry).toBe(90);
    clock += 90_001;
    props = (await session.ok<{ runtime_properties: typeof props }>('workers.get_runtime_properties', { worker: 'props:0' })).runtime_properties;
    expect(props.map((p) => p.key)).toEqual(['available_gpus']);
    await session.ok('workers.set_runtime_properties', { worker: 'props:0', runtime_properties: [{ key: 'available_gpus', value: null }] });
    expect(await session.ok('workers.get_runtime_properties', { worker: 'props:0' })).toEqual({ runtime_properties: [] });
  });
});
