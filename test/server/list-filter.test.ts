import { describe, expect, it } from 'vitest';
import { listFilter } from '../../src-main/server/list-query.js';

// The part of every get_all filter that tasks, models, queues and projects share.
interface Doc {
  id: string;
  name: string;
  user: string;
  status: string;
  tags: string[];
  system_tags: string[];
  comment?: string;
}
const docs: Doc[] = [
  { id: 'a1', name: 'train resnet', user: 'u1', status: 'queued', tags: ['x'], system_tags: [], comment: 'First Try' },
  { id: 'b2', name: 'eval resnet', user: 'u2', status: 'completed', tags: ['y'], system_tags: ['archived'] },
  { id: 'c3', name: 'train bert', user: 'u1', status: 'failed', tags: [], system_tags: [] },
];
const ids = (keep: (doc: Doc) => boolean) => docs.filter(keep).map((doc) => doc.id);

describe('listFilter', () => {
  it('no filters keep everything', () => {
    expect(ids(listFilter<Doc>({}))).toEqual(['a1', 'b2', 'c3']);
  });

  it('ids, the name regex (case-insensitive, (?i) accepted), tags and system tags', () => {
    expect(ids(listFilter<Doc>({ id: ['a1', 'c3'] }))).toEqual(['a1', 'c3']);
    expect(ids(listFilter<Doc>({ name: '^TRAIN' }))).toEqual(['a1', 'c3']);
    expect(ids(listFilter<Doc>({ name: '(?i)resnet' }))).toEqual(['a1', 'b2']);
    expect(ids(listFilter<Doc>({ tags: ['-x'] }))).toEqual(['b2', 'c3']);
    expect(ids(listFilter<Doc>({ system_tags: ['archived'] }))).toEqual(['b2']);
  });

  it('value filters by field, with -excluded entries', () => {
    expect(ids(listFilter<Doc>({}, { values: { user: ['u1'] } }))).toEqual(['a1', 'c3']);
    expect(ids(listFilter<Doc>({}, { values: { user: ['u1'], status: ['-failed'] } }))).toEqual(['a1']);
    expect(ids(listFilter<Doc>({}, { values: { user: undefined } }))).toEqual(['a1', 'b2', 'c3']);
  });

  it('search_text looks, case-insensitively, only where the service says', () => {
    const searchIn = (doc: Doc) => `${doc.id} ${doc.name} ${doc.comment ?? ''}`;
    expect(ids(listFilter<Doc>({ search_text: 'first try' }, { searchIn }))).toEqual(['a1']);
    expect(ids(listFilter<Doc>({ search_text: 'B2' }, { searchIn }))).toEqual(['b2']);
    expect(ids(listFilter<Doc>({ search_text: 'nothing like it' }))).toEqual(['a1', 'b2', 'c3']);
  });

  it('a bad name pattern fails when the filter is made, before anything is read', () => {
    expect(() => listFilter<Doc>({ name: '(' })).toThrow();
  });
});
