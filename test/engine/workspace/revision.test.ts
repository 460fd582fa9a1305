import { describe, expect, it } from 'vitest';
import { branchCandidates, planRevision } from '../../../src-main/engine/workspace/revision.js';
import { WorkspaceError } from '../../../src-main/engine/workspace/errors.js';

describe('planRevision', () => {
  it('orders commit → tag → branch → default', () => {
    expect(planRevision({ commit: 'ABCDEF1234', tag: 'v1', branch: 'main' })).toEqual({ kind: 'commit', commit: 'abcdef1234', branch: 'main' });
    expect(planRevision({ commit: '', tag: 'v1', branch: 'main' })).toEqual({ kind: 'tag', tag: 'v1' });
    expect(planRevision({ tag: 'refs/tags/v2' })).toEqual({ kind: 'tag', tag: 'v2' });
    expect(planRevision({ branch: ' dev ' })).toEqual({ kind: 'branch', branch: 'dev' });
    expect(planRevision({})).toEqual({ kind: 'default' });
  });

  it.each([
    [{ commit: 'not-a-sha' }, 'script.version_num'],
    [{ tag: '-x' }, 'script.tag'],
    [{ branch: 'a..b' }, 'script.branch'],
    [{ branch: 'a b' }, 'script.branch'],
    [{ branch: 'x~1' }, 'script.branch'],
  ])('rejects %j naming %s', (req, field) => {
    let error: unknown;
    try {
      planRevision(req);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkspaceError);
    expect((error as WorkspaceError).reason).toBe('invalid workspace request');
    expect((error as WorkspaceError).message).toContain(field);
  });

  it('tries a branch as given, then without ref/remote prefixes', () => {
    expect(branchCandidates('origin/dev')).toEqual(['origin/dev', 'dev']);
    expect(branchCandidates('refs/heads/feature/x')).toEqual(['refs/heads/feature/x', 'feature/x']);
    expect(branchCandidates('main')).toEqual(['main']);
  });
});
