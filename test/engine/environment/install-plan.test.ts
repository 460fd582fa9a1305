import { describe, expect, it } from 'vitest';
import { NO_PACKAGE_ORDER, planInstallOrder } from '../../../src-main/engine/environment/install-plan.js';

describe('planInstallOrder (priority and post packages)', () => {
  const lines = ['--extra-index-url http://x/simple', 'numpy==1.26.0', 'Cython', 'tray-alpha==1.0', 'horovod==0.28', 'pygobject', 'tray-post-opt==1'];

  it('without lists: one main install, options kept apart', () => {
    expect(planInstallOrder(lines, NO_PACKAGE_ORDER)).toEqual({
      optionLines: ['--extra-index-url http://x/simple'],
      priority: [],
      main: lines.slice(1),
      post: [],
      keyParts: [],
    });
  });

  it("clearml-agent's lists: priority ones first in the list's order (and still in main), post ones taken out", () => {
    const plan = planInstallOrder(lines, {
      priority: ['cython', 'numpy', 'setuptools', 'pip', 'uv'],
      priorityOptional: ['pygobject'],
      post: ['horovod'],
      postOptional: ['tray_post_opt'],
    });
    expect(plan.priority).toEqual([
      { line: 'Cython', optional: false },
      { line: 'numpy==1.26.0', optional: false },
      { line: 'pygobject', optional: true },
    ]);
    expect(plan.main).toEqual(['numpy==1.26.0', 'Cython', 'tray-alpha==1.0', 'pygobject']);
    expect(plan.post).toEqual([
      { line: 'horovod==0.28', optional: false },
      { line: 'tray-post-opt==1', optional: true },
    ]);
    // Only what the list has goes into the cache key: setuptools, pip and uv are not asked for.
    expect(plan.keyParts).toEqual(['priority:cython', 'priority:numpy', 'priority-optional:pygobject', 'post:horovod', 'post-optional:tray-post-opt']);
  });

  it('a package in both a priority and a post list is a priority package', () => {
    const plan = planInstallOrder(['numpy'], { priority: ['numpy'], priorityOptional: [], post: ['numpy'], postOptional: [] });
    expect(plan.priority).toEqual([{ line: 'numpy', optional: false }]);
    expect(plan.post).toEqual([]);
  });
});
