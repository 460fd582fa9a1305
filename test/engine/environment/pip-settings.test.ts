import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../../src-main/engine/environment/errors.js';
import { cudaDigits } from '../../../src-main/engine/environment/cuda-version.js';
import { reportableFrozenLines, requirementsReport } from '../../../src-main/engine/environment/frozen-requirements.js';
import { describeIndexes, indexesConsulted, withoutUrlCredentials } from '../../../src-main/engine/environment/pip-indexes.js';
import { pipConstraintFor, validatePipSettings, wantsLegacyResolver } from '../../../src-main/engine/environment/pip-setup.js';

const BUILT_IN_PIP_VERSION = ["<20.2 ; python_version < '3.10'", "<22.3 ; python_version >= '3.10' and python_version <= '3.11'", ">=23,<24.3 ; python_version >= '3.12'"];

describe('pip_version and pip_legacy_resolver', () => {
  it('the constraint for an interpreter, from markers', () => {
    expect(pipConstraintFor(BUILT_IN_PIP_VERSION, '3.11.7')).toBe('<22.3');
    expect(pipConstraintFor(BUILT_IN_PIP_VERSION, '3.12.3')).toBe('>=23,<24.3');
    expect(pipConstraintFor([], '3.11.7')).toBeNull();
    expect(pipConstraintFor(['23.2'], '3.11.7')).toBe('==23.2');
  });

  it('the legacy resolver for pip versions in the range', () => {
    expect(wantsLegacyResolver(['>=20.3,<24.3'], '23.2.1', '3.11.7')).toBe(true);
    expect(wantsLegacyResolver(['>=20.3,<24.3'], '24.3.1', '3.11.7')).toBe(false);
    expect(wantsLegacyResolver([], '23.2.1', '3.11.7')).toBe(false);
  });

  it('a bad entry fails the task at once, naming the key and the entry', () => {
    let error: unknown;
    try {
      validatePipSettings({ pipVersion: ['<22.3 ; python_versoin < "3.12"'], legacyResolver: [], forceUpgrade: false }, '3.11.7');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).reason).toBe('invalid agent.package_manager.pip_version');
    expect((error as EnvironmentError).message).toMatch(/agent.package_manager.pip_version is .*unknown marker variable python_versoin/);
    expect(() => validatePipSettings({ pipVersion: [], legacyResolver: ['newest'], forceUpgrade: false }, '3.11.7')).toThrow(/pip_legacy_resolver is \["newest"\]/);
  });
});

describe('indexes named in install errors', () => {
  it("lists pip's indexes in order, with credentials removed", () => {
    expect(
      indexesConsulted({
        indexLines: ['--extra-index-url https://reader:s3cret@pypi.internal/simple'],
        requirementOptionLines: ['-f https://download.pytorch.org/whl/torch_stable.html'],
        extraPipInstallFlags: ['--index-url', 'http://127.0.0.1:9/simple/'],
        env: { PIP_EXTRA_INDEX_URL: 'https://token@mirror/simple' },
      }),
    ).toEqual(['http://127.0.0.1:9/simple/', 'https://pypi.internal/simple', 'https://mirror/simple', 'https://download.pytorch.org/whl/torch_stable.html (find-links)']);
    expect(describeIndexes({ indexLines: [], requirementOptionLines: [], extraPipInstallFlags: [], env: {} })).toBe('Indexes tried: https://pypi.org/simple.');
    expect(describeIndexes({ indexLines: [], requirementOptionLines: [], extraPipInstallFlags: ['--no-index'], env: {} })).toBe('No index was consulted (--no-index).');
    expect(indexesConsulted({ indexLines: [], requirementOptionLines: [], extraPipInstallFlags: [], env: { PIP_INDEX_URL: 'http://m/simple' } })).toEqual(['http://m/simple']);
  });
});

describe('the frozen list reported back', () => {
  it('keeps VCS lines pinned, removes URL credentials, maps direct torch URLs', () => {
    const frozen = [
      'gitpkg @ git+https://ci-bot:Tok3n@git.example.com/org/gitpkg.git@0123456789abcdef0123456789abcdef01234567',
      '-e git+https://oauth2:glpat-xyz@gitlab.example.com/g/lib.git@89abcdef0123456789abcdef0123456789abcdef#egg=lib',
      'torch @ http://i/whl/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl',
      'tray-alpha==1.0',
    ];
    expect(reportableFrozenLines(frozen, new Map([['torch', 'http://i/whl/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl']]))).toEqual([
      'gitpkg @ git+https://git.example.com/org/gitpkg.git@0123456789abcdef0123456789abcdef01234567',
      '-e git+https://gitlab.example.com/g/lib.git@89abcdef0123456789abcdef0123456789abcdef#egg=lib',
      'torch==2.5.1+cpu # http://i/whl/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl',
      'tray-alpha==1.0',
    ]);
  });

  it('turns a frozen local VCS line into the form pip installs again', () => {
    expect(reportableFrozenLines(['gitpkg @ git+file:///src/gitpkg@0123456789abcdef0123456789abcdef01234567'])).toEqual([
      'git+file:///src/gitpkg@0123456789abcdef0123456789abcdef01234567#egg=gitpkg',
    ]);
  });

  it('reports pip = frozen and org_pip = the original, nothing when nothing was installed', () => {
    expect(requirementsReport(['a==1'], 'a')).toEqual({ pip: 'a==1', org_pip: 'a' });
    expect(requirementsReport(['a==1'], null)).toEqual({ pip: 'a==1', org_pip: null });
    expect(requirementsReport([], 'a')).toBeNull();
    expect(requirementsReport(['x==1'], 'x @ git+https://u:p@h/x.git')).toEqual({ pip: 'x==1', org_pip: 'x @ git+https://h/x.git' });
    expect(withoutUrlCredentials('see https://a:b@h/p and http://t@h2/')).toBe('see https://h/p and http://h2/');
  });
});

describe('CUDA versions as clearml-agent keeps them', () => {
  it.each([
    ['13.0', 130],
    ['12.1.1', 121],
    ['118', 118],
    ['0', 0],
    ['', null],
    [null, null],
    ['cuda', null],
  ])('%s → %s', (text, digits) => {
    expect(cudaDigits(text)).toBe(digits);
  });
});
