/** Shared set-up for the tests that build real venvs: a temp root, the local index, options. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentOptions } from '../../src-main/engine/environment/index.js';
import type { IndexOptions, PackageIndex, TestPackage } from './package-index.js';
import { indexFlags, isolatedPipEnv, startPackageIndex, TEST_PACKAGES } from './package-index.js';
import { environmentCache, pipEnvironmentSettings } from './environment-settings.js';

export interface PrepareFixture {
  root: string;
  index: PackageIndex;
  logs: string[];
  /** Options with pip pointed at the local index only and the cache under `root/cache`. */
  options(overrides?: Partial<EnvironmentOptions>): EnvironmentOptions;
  close(): Promise<void>;
}

export interface PrepareFixtureOptions {
  /** The temp root's name prefix. */
  readonly prefix?: string;
  /** What the index serves (default TEST_PACKAGES), given the root (to build wheels in). */
  readonly packages?: (root: string) => TestPackage[];
  readonly index?: IndexOptions;
  /** The cache's size (default 5). */
  readonly cacheEntries?: number;
}

export async function startPrepareFixture(setup: PrepareFixtureOptions = {}): Promise<PrepareFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), setup.prefix ?? 'env-prepare-'));
  const index = await startPackageIndex(setup.packages?.(root) ?? TEST_PACKAGES, setup.index);
  const logs: string[] = [];
  return {
    root,
    index,
    logs,
    options: (overrides = {}) => ({
      ...pipEnvironmentSettings(root, { extraPipInstallFlags: indexFlags(index), cache: environmentCache(path.join(root, 'cache'), setup.cacheEntries ?? 5) }),
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
