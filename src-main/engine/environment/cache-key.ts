import { createHash } from 'node:crypto';
import type { PackageManagerType } from './types.js';

/** Bump when the layout or the meaning of an entry changes, so old entries stop matching. */
export const ENV_CACHE_SCHEMA = 'tray-agent-env/2';

export interface CacheKeyInput {
  packageManager: PackageManagerType;
  python: { executable: string; version: string; implementation: string; platform: string };
  systemSitePackages: boolean;
  extraIndexUrls: string[];
  extraPipInstallFlags: string[];
  /** Normalised requirement lines (order does not matter; they are sorted here). */
  requirements: string[];
  /** pip settings from the environment that change what gets installed (see pipSettingsFromEnv). */
  pipEnvironment?: Record<string, string>;
  /** pip_version, pip_legacy_resolver, force_upgrade: pip itself and how it resolves. */
  pip?: { version: readonly string[]; legacyResolver: readonly string[]; forceUpgrade: boolean };
  /** Priority/post packages the list actually has (install-plan.ts keyParts). */
  installOrder?: readonly string[];
  /** Only when the list has torch packages: how they were resolved and which index was added. */
  torch?: { resolve: string; indexUrl: string | null; cuda: number | null; lines: readonly string[] } | null;
}

/** Environment variables through which pip picks indexes and versions without a flag. */
const PIP_RESULT_VARIABLES = [
  'PIP_INDEX_URL',
  'PIP_EXTRA_INDEX_URL',
  'PIP_FIND_LINKS',
  'PIP_NO_INDEX',
  'PIP_CONSTRAINT',
  'PIP_PRE',
  'PIP_ONLY_BINARY',
  'PIP_NO_BINARY',
];

/** Pure: the pip-relevant variables of `env` (pip config files are not read; see docs). */
export function pipSettingsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const name of PIP_RESULT_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') settings[name] = value;
  }
  return settings;
}

/**
 * Pure: sha256 over everything that changes what ends up in the environment. The base
 * interpreter's real path is part of it because a venv points at its base for good.
 * Install flags keep their order (they carry arguments); the lists are sorted.
 */
export function computeCacheKey(input: CacheKeyInput): string {
  const canonical = {
    schema: ENV_CACHE_SCHEMA,
    packageManager: input.packageManager,
    python: {
      executable: input.python.executable,
      version: input.python.version,
      implementation: input.python.implementation,
      platform: input.python.platform,
    },
    systemSitePackages: input.systemSitePackages,
    extraIndexUrls: [...new Set(input.extraIndexUrls.map((u) => u.trim()).filter(Boolean))].sort(),
    extraPipInstallFlags: input.extraPipInstallFlags,
    requirements: [...input.requirements].sort(),
    pipEnvironment: Object.entries(input.pipEnvironment ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    // Parts that are absent stay out of the text, so adding a setting to the key later does not
    // change the key of environments it does not concern.
    ...(input.pip ? { pip: { version: [...input.pip.version], legacyResolver: [...input.pip.legacyResolver], forceUpgrade: input.pip.forceUpgrade } } : {}),
    ...(input.installOrder && input.installOrder.length > 0 ? { installOrder: [...input.installOrder] } : {}),
    ...(input.torch ? { torch: { ...input.torch, lines: [...input.torch.lines] } } : {}),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export function isCacheKey(name: string): boolean {
  return /^[0-9a-f]{64}$/.test(name);
}
