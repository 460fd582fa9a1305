import { describe, expect, it } from 'vitest';
import type { CacheKeyInput } from '../../../src-main/engine/environment/cache-key.js';
import { computeCacheKey, isCacheKey, pipSettingsFromEnv } from '../../../src-main/engine/environment/cache-key.js';

const base: CacheKeyInput = {
  packageManager: 'pip',
  python: { executable: '/usr/bin/python3.11', version: '3.11.7', implementation: 'cpython', platform: 'linux-x86_64' },
  systemSitePackages: false,
  extraIndexUrls: ['https://b/simple', 'https://a/simple'],
  extraPipInstallFlags: ['--index-url', 'http://127.0.0.1:1/simple/'],
  requirements: ['numpy==1.26.0', 'tray-alpha==1.0'],
};

describe('computeCacheKey', () => {
  it('is a sha256 hex string and stable for the same input', () => {
    const key = computeCacheKey(base);
    expect(isCacheKey(key)).toBe(true);
    expect(computeCacheKey({ ...base })).toBe(key);
  });

  it('ignores the order of requirement lines and index URLs', () => {
    expect(
      computeCacheKey({ ...base, requirements: [...base.requirements].reverse(), extraIndexUrls: [...base.extraIndexUrls].reverse() }),
    ).toBe(computeCacheKey(base));
  });

  it('changes with everything that changes the environment', () => {
    const key = computeCacheKey(base);
    const variants: CacheKeyInput[] = [
      { ...base, packageManager: 'uv' },
      { ...base, python: { ...base.python, version: '3.11.8' } },
      { ...base, python: { ...base.python, executable: '/opt/python/bin/python3.11' } },
      { ...base, python: { ...base.python, platform: 'linux-aarch64' } },
      { ...base, systemSitePackages: true },
      { ...base, extraIndexUrls: ['https://a/simple'] },
      { ...base, extraPipInstallFlags: ['--pre'] },
      { ...base, requirements: ['numpy==1.26.1', 'tray-alpha==1.0'] },
      { ...base, pipEnvironment: { PIP_INDEX_URL: 'https://mirror/simple' } },
      // agent.package_manager.pip_version / pip_legacy_resolver / force_upgrade
      { ...base, pip: { version: ['<22.3'], legacyResolver: [], forceUpgrade: false } },
      { ...base, pip: { version: [], legacyResolver: ['>=20.3,<24.3'], forceUpgrade: false } },
      { ...base, pip: { version: [], legacyResolver: [], forceUpgrade: true } },
      // priority/post packages the list has
      { ...base, installOrder: ['priority:tray-alpha'] },
      { ...base, installOrder: ['post-optional:tray-alpha'] },
      // the torch index chosen (and so the CUDA version), and the resolver mode
      { ...base, torch: { resolve: 'pip', indexUrl: 'https://download.pytorch.org/whl/cu128/', cuda: 128, lines: ['torch==2.5.1.*'] } },
      { ...base, torch: { resolve: 'pip', indexUrl: 'https://download.pytorch.org/whl/cu126/', cuda: 126, lines: ['torch==2.5.1.*'] } },
      { ...base, torch: { resolve: 'direct', indexUrl: null, cuda: 128, lines: ['torch @ https://x/torch-2.5.1+cu128-cp311-cp311-linux_x86_64.whl'] } },
    ];
    const keys = variants.map(computeCacheKey);
    expect(keys).not.toContain(key);
    expect(new Set(keys).size).toBe(variants.length);
  });
});

it('leaves the key of a list without torch or priority/post packages alone when those settings change', () => {
  // The parts are only in the key when they change what gets installed.
  expect(computeCacheKey({ ...base, installOrder: [], torch: null })).toBe(computeCacheKey(base));
});

describe('pipSettingsFromEnv', () => {
  it('keeps only the pip variables that change what gets installed', () => {
    expect(
      pipSettingsFromEnv({ PIP_INDEX_URL: 'https://m/simple', PIP_NO_CACHE_DIR: '1', PIP_PRE: '', PATH: '/bin', PIP_CONSTRAINT: '/c.txt' }),
    ).toEqual({ PIP_INDEX_URL: 'https://m/simple', PIP_CONSTRAINT: '/c.txt' });
  });
});
