import { describe, expect, it } from 'vitest';
import { useServerSession, type JsonRecord, type Session } from './api-call.js';

let session: Session;

useServerSession((bed) => ({ session } = bed));

describe('projects and users (the slice the SDK calls)', () => {
  it('projects.create validates and stores; get_by_id and get_all find it', async () => {
    const { id } = await session.ok<{ id: string }>('projects.create', { name: 'team/vision', description: 'cv work', tags: ['cv'] });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const again = await session.call('projects.create', { name: 'team/vision' });
    expect([again.status, again.envelope.meta.result_subcode]).toEqual([400, 801]);
    const short = await session.call('projects.create', { name: 'ab' });
    expect([short.status, short.envelope.meta.result_subcode]).toEqual([400, 800]);
    const project = (await session.ok<{ project: JsonRecord }>('projects.get_by_id', { project: id })).project;
    expect(project).toMatchObject({ id, name: 'team/vision', basename: 'vision', description: 'cv work', tags: ['cv'] });
    const missing = await session.call('projects.get_by_id', { project: 'f'.repeat(32) });
    expect([missing.status, missing.envelope.meta.result_subcode]).toEqual([400, 401]);
    await session.ok('projects.create', { name: 'hidden project', system_tags: ['hidden'] });
    const names = async (body: JsonRecord) =>
      (await session.ok<{ projects: Array<{ name: string }> }>('projects.get_all', body)).projects.map((p) => p.name).sort();
    expect(await names({})).toEqual(['team/vision']);
    expect(await names({ search_hidden: true })).toEqual(['hidden project', 'team/vision']);
    expect(await names({ name: '^team/' })).toEqual(['team/vision']);
    expect(await names({ basename: 'vision' })).toEqual(['team/vision']);
    const projected = await session.ok<{ projects: JsonRecord[] }>('projects.get_all', { id: [id], only_fields: ['name'] });
    expect(projected.projects).toEqual([{ id, name: 'team/vision' }]);
  });

  it('users.get_current_user describes the caller', async () => {
    const data = await session.ok<JsonRecord>('users.get_current_user');
    expect(data.user).toMatchObject({ name: 'Tray Agent', role: 'admin', company: { id: expect.any(String), name: 'tray-agent' } });
    expect(data.user.id).toMatch(/^[0-9a-f]{32}$/);
  });
});
