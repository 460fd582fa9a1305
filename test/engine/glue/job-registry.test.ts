import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobRegistryPath, openJobRegistry, JobRegistryError } from '../../../src-main/engine/glue/job-registry.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const entry = (taskId: string, queueId = 'q1', jobId: string | null = '10') => ({ kind: 'scheduler-job' as const, scheduler: 'slurm' as const, jobId, taskId, queueId, submittedAt: '2026-01-01T00:00:00.000Z' });

describe('glue job registry', () => {
  it('keeps entries across opens, per queue counts, private file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'glue-registry-'));
    const file = jobRegistryPath(dir, 'slurm', 'host:slurm-glue');
    expect(file).toBe(join(dir, 'glue', 'slurm-host_slurm-glue.json'));
    const registry = await openJobRegistry(file, 'slurm');
    await registry.put(entry('t1', 'q1', null));
    await registry.put(entry('t2', 'q1'));
    await registry.put(entry('t3', 'q2'));
    await registry.put(entry('t1', 'q1', '11'));
    await registry.remove('t3');
    expect(registry.countForQueue('q1')).toBe(2);
    expect(registry.countForQueue('q2')).toBe(0);
    const reopened = await openJobRegistry(file, 'slurm');
    expect(reopened.entries()).toEqual([entry('t1', 'q1', '11'), entry('t2', 'q1')]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8')).jobs[0]).toEqual({ kind: 'scheduler-job', scheduler: 'slurm', jobId: '11', taskId: 't1', queueId: 'q1', submittedAt: '2026-01-01T00:00:00.000Z' });
  });

  it('refuses a file that is not a registry instead of overwriting it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'glue-registry-'));
    const file = join(dir, 'r.json');
    await writeFile(file, '{ not json');
    await expect(openJobRegistry(file, 'slurm')).rejects.toThrow(JobRegistryError);
    await expect(openJobRegistry(file, 'slurm')).rejects.toThrow(/r\.json is not valid JSON/);
    await writeFile(file, '{"other": 1}');
    await expect(openJobRegistry(file, 'slurm')).rejects.toThrow(/has no "jobs" list/);
    expect(await readFile(file, 'utf8')).toBe('{"other": 1}');
  });

  it('ignores entries of another scheduler or of another shape', async () => {
    dir = await mkdtemp(join(tmpdir(), 'glue-registry-'));
    const file = join(dir, 'r.json');
    await writeFile(file, JSON.stringify({ jobs: [entry('t1'), { ...entry('t2'), scheduler: 'k8s' }, { taskId: 't3' }] }));
    expect((await openJobRegistry(file, 'slurm')).entries().map((e) => e.taskId)).toEqual(['t1']);
  });
});
