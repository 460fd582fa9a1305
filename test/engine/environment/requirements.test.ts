import { describe, expect, it } from 'vitest';
import {
  logicalLines,
  normaliseProjectName,
  parseRequirementLine,
  parseRequirements,
  planRequirements,
} from '../../../src-main/engine/environment/requirements.js';

const nothingExists = { pathExists: () => false };
const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('logicalLines', () => {
  it('drops comments and blank lines, keeps URL fragments, joins continuations', () => {
    const text = [
      '# Python 3.11.7 (main, Dec  8 2023)',
      '',
      'numpy==1.26.0  # pinned by the SDK',
      'pkg @ git+https://h/r.git@main#egg=pkg',
      'torch \\',
      '  >=2.0',
      '\r',
    ].join('\n');
    expect(logicalLines(text)).toEqual(['numpy==1.26.0', 'pkg @ git+https://h/r.git@main#egg=pkg', 'torch   >=2.0']);
  });

  it('accepts a list of strings (script.requirements.pip as an array)', () => {
    expect(logicalLines(['a==1', 'b==2\nc==3'])).toEqual(['a==1', 'b==2', 'c==3']);
  });
});

describe('parseRequirementLine', () => {
  it('normalises package names, extras, specifiers and markers', () => {
    const line = parseRequirementLine('Foo_Bar.baz [Zed, Alpha] >= 1.0 , <2 ; python_version  <  "3.12"');
    expect(line).toMatchObject({ kind: 'package', name: 'foo-bar-baz', normalized: 'foo-bar-baz[alpha,zed]>=1.0,<2 ; python_version < "3.12"' });
    expect(normaliseProjectName('Tray_Gamma')).toBe('tray-gamma');
  });

  it('recognises index options in both spellings', () => {
    expect(parseRequirementLine('--extra-index-url https://x/simple')).toMatchObject({
      kind: 'option',
      option: '--extra-index-url',
      value: 'https://x/simple',
    });
    expect(parseRequirementLine('--extra-index-url=https://x/simple').normalized).toBe('--extra-index-url https://x/simple');
    expect(parseRequirementLine('-i https://y/simple')).toMatchObject({ kind: 'option', option: '--index-url' });
    expect(parseRequirementLine('--pre')).toMatchObject({ kind: 'option', option: '--pre', value: null });
  });

  it('classifies VCS lines and whether they are pinned to a commit', () => {
    expect(parseRequirementLine('git+https://github.com/o/r.git')).toMatchObject({ kind: 'vcs', pinned: false, editable: false });
    expect(parseRequirementLine(`git+https://github.com/o/r.git@${SHA}#egg=r`)).toMatchObject({ kind: 'vcs', pinned: true, name: 'r' });
    expect(parseRequirementLine(`mylib @ git+ssh://git@github.com/o/r.git@${SHA}`)).toMatchObject({ kind: 'vcs', pinned: true, name: 'mylib' });
    expect(parseRequirementLine('-e git+https://h/r.git@v1.2#egg=r')).toMatchObject({ kind: 'vcs', editable: true, pinned: false });
  });

  it('classifies local paths, file URLs, archive URLs and nested files', () => {
    expect(parseRequirementLine('-e .')).toMatchObject({ kind: 'local', editable: true, path: '.' });
    expect(parseRequirementLine('--editable=./libs/core')).toMatchObject({ kind: 'local', editable: true, path: './libs/core' });
    expect(parseRequirementLine('./dist/pkg-1.0-py3-none-any.whl')).toMatchObject({ kind: 'local', editable: false });
    expect(parseRequirementLine('pkg @ file:///home/dev/pkg')).toMatchObject({ kind: 'local', name: 'pkg', path: '/home/dev/pkg' });
    expect(parseRequirementLine('https://h/pkg-1.0.whl')).toMatchObject({ kind: 'url', url: 'https://h/pkg-1.0.whl' });
    expect(parseRequirementLine('Pkg @ https://h/pkg-1.0.whl')).toMatchObject({ kind: 'url', name: 'pkg' });
    expect(parseRequirementLine('-r base.txt')).toMatchObject({ kind: 'nested', flag: '-r', path: 'base.txt' });
    expect(parseRequirementLine('--constraint=c.txt')).toMatchObject({ kind: 'nested', flag: '-c', path: 'c.txt' });
  });

  it('does not take a version specifier with a slash-free name for a path', () => {
    expect(parseRequirementLine('numpy>=1.0').kind).toBe('package');
    expect(parseRequirementLine('pkg ; sys_platform == "linux"').kind).toBe('package');
  });
});

describe('planRequirements', () => {
  it('keeps install order, sorts the key lines, and is cacheable for plain packages and pinned VCS', () => {
    const plan = planRequirements(
      [
        {
          text: `--extra-index-url https://x/simple\nzeta==1\nAlpha==2\nlib @ git+https://h/r.git@${SHA}`,
          baseDir: '/repo',
          label: 'task',
        },
      ],
      nothingExists,
    );
    expect(plan.installLines).toEqual(['--extra-index-url https://x/simple', 'zeta==1', 'Alpha==2', `lib @ git+https://h/r.git@${SHA}`]);
    expect(plan.keyLines).toEqual(['--extra-index-url https://x/simple', 'alpha==2', `lib @ git+https://h/r.git@${SHA}`, 'zeta==1']);
    expect(plan.uncacheableReason).toBeNull();
  });

  it('gives the same key lines for differently written but equal lists', () => {
    const a = planRequirements([{ text: 'Foo_Bar >= 1.0\nbaz', baseDir: '/r', label: 'a' }], nothingExists);
    const b = planRequirements([{ text: 'baz\n# comment\nfoo-bar>=1.0', baseDir: '/r', label: 'b' }], nothingExists);
    expect(a.keyLines).toEqual(b.keyLines);
  });

  it('resolves local paths against the source directory and makes the set uncacheable', () => {
    const plan = planRequirements([{ text: '-e .\n-e ./libs/core\n-r extra.txt', baseDir: '/work/repo', label: 'task' }], nothingExists);
    expect(plan.installLines).toEqual(['-e /work/repo', '-e /work/repo/libs/core', '-r /work/repo/extra.txt']);
    expect(plan.uncacheableReason).toMatch(/local path/);
  });

  it('makes unpinned VCS lines and nested files uncacheable, naming the line', () => {
    expect(planRequirements([{ text: 'git+https://h/r.git@main', baseDir: '/r', label: 't' }], nothingExists).uncacheableReason).toBe(
      '"git+https://h/r.git@main" is not pinned to a commit',
    );
    expect(planRequirements([{ text: '-r base.txt', baseDir: '/r', label: 't' }], nothingExists).uncacheableReason).toMatch(
      /includes another file/,
    );
  });

  it('replaces `name @ file://` lines from another machine by the bare name, with a warning', () => {
    const plan = planRequirements([{ text: 'certifi @ file:///croot/certifi_1690232220950/work/certifi', baseDir: '/r', label: 'task' }], nothingExists);
    expect(plan.installLines).toEqual(['certifi']);
    expect(plan.uncacheableReason).toBeNull();
    expect(plan.warnings[0]).toMatch(/not here; installing "certifi" instead/);
  });

  it('keeps a `name @ file://` line whose file exists (as an uncacheable local install)', () => {
    const plan = planRequirements([{ text: 'pkg @ file:///opt/pkg', baseDir: '/r', label: 'task' }], { pathExists: () => true });
    expect(plan.installLines).toEqual(['pkg @ file:///opt/pkg']);
    expect(plan.uncacheableReason).toMatch(/local path/);
  });

  it('parses an empty list to nothing', () => {
    expect(parseRequirements('')).toEqual([]);
    expect(planRequirements([{ text: '', baseDir: '/r', label: 't' }], nothingExists).installLines).toEqual([]);
  });
});
