import { describe, expect, it } from 'vitest';
import { classifyScriptDiff, literalScriptFileName } from '../../../src-main/engine/workspace/script-diff.js';

describe('classifyScriptDiff', () => {
  it.each([
    ['', 'none'],
    ['   \n', 'none'],
    ['diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n', 'patch'],
    ['\ndiff --git a/x.py b/x.py\n', 'patch'],
    ['Submodule libs/sub 1234..5678:\ndiff --git a/libs/sub/x b/libs/sub/x\n', 'patch'],
    ['submodule a\nsubmodule b\ndiff -r 123 x.py\n', 'patch'],
    ['import os\nprint(os.getcwd())\n', 'literal'],
    ['diff = 3\nprint(diff)\n', 'literal'],
    ['#!/bin/bash\necho hi\n', 'literal'],
  ])('%j is %s', (diff, kind) => {
    expect(classifyScriptDiff(diff).kind).toBe(kind);
  });

  it('is none for null/undefined', () => {
    expect(classifyScriptDiff(null)).toEqual({ kind: 'none' });
    expect(classifyScriptDiff(undefined)).toEqual({ kind: 'none' });
  });

  it('names the literal script after the entry point, else script.py', () => {
    expect(literalScriptFileName('train.py')).toBe('train.py');
    expect(literalScriptFileName('  ')).toBe('script.py');
    expect(literalScriptFileName(null)).toBe('script.py');
    expect(literalScriptFileName('-m pkg.main')).toBe('script.py');
  });
});
