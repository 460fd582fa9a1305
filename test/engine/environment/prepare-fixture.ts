/** Shared set-up for the tests that build real venvs: a temp root, the local index, options. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentOptions } from '../../../src-main/engine/environment/index.js';
import type { PackageIndex } from '../../helpers/package-index.js';
import { indexFlags, isolatedPipEnv, startPackageIndex } from '../../helpers/package-index.js';

export interface PrepareFixture {
  root: string;
  index: PackageIndex;
  logs: string[];
  /** Options with pip pointed at the local index only and the cache under `root/cache`. */
  options(overrides?: Partial<EnvironmentOptions>): EnvironmentOptions;
  close(): Promise<void>;
}

export async function startPrepareFixture(): Promise<PrepareFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'env-prepare-'));
  const index = await startPackageIndex();
  const logs: string[] = [];
  return {
    root,
    index,
    logs,
    options: (overrides = {}) => ({
      ignoreRequestedPythonVersion: false,
      packageManager: 'pip',
      extraIndexUrls: [],
      extraPipInstallFlags: indexFlags(index),
      forceRepoRequirementsTxt: false,
      forceOriginalRequirements: false,
      systemSitePackages: false,
      venvsDir: path.join(root, 'venvs'),
      cache: { dir: path.join(root, 'cache'), maxEntries: 5, freeSpaceThresholdGb: 0, lockTimeoutSec: 30 },
      env: isolatedPipEnv(),
      log: (line) => logs.push(line),
      ...overrides,
    }),
    close: async () => {
      await index.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
