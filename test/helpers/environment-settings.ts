// The environment settings the tests that build real venvs start from, one place for all of them:
// pip, no other index unless a test names one, fresh venvs under the test's root.
import { join } from 'node:path';
import type { EnvironmentCacheOptions, EnvironmentOptions } from '../../src-main/engine/environment/index.js';

/** EnvironmentOptions without what a run adds (env, log, signal): TaskRunSettings['environment']. */
export type EnvironmentSettings = Omit<EnvironmentOptions, 'env' | 'log' | 'signal'>;

/** pip, no extra index, venvs under `root/venvs`, no environment cache; `overrides` on top. */
export function pipEnvironmentSettings(root: string, overrides: Partial<EnvironmentSettings> = {}): EnvironmentSettings {
  return {
    ignoreRequestedPythonVersion: false,
    packageManager: 'pip',
    extraIndexUrls: [],
    extraPipInstallFlags: [],
    forceRepoRequirementsTxt: false,
    forceOriginalRequirements: false,
    systemSitePackages: false,
    venvsDir: join(root, 'venvs'),
    cache: null,
    ...overrides,
  };
}

/** An environment cache in `dir` that never waits long for its lock nor minds free space. */
export function environmentCache(dir: string, maxEntries = 10): EnvironmentCacheOptions {
  return { dir, maxEntries, freeSpaceThresholdGb: 0, lockTimeoutSec: 30 };
}
