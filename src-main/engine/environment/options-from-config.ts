import type { AgentConfig } from '../config/index.js';
import type { EnvironmentOptions } from './types.js';

/**
 * The environment phase's settings from clearml.conf (agent.package_manager.*, venvs_dir,
 * venvs_cache, pip_download_cache, cuda_version), resolved once per task run.
 * `cache` is off for poetry/uv mode, as in clearml-agent (their lock-file installs are never
 * cached; without a lock file they fall back to a cacheable list install, built uncached).
 */
export function environmentOptionsFromConfig(agent: AgentConfig['agent']): Omit<EnvironmentOptions, 'env' | 'log' | 'signal'> {
  const pm = agent.packageManager;
  const cacheDisabled = pm.type === 'poetry' || pm.type === 'uv';
  return {
    pythonBinary: agent.pythonBinary ?? null,
    defaultPython: agent.defaultPython ?? null,
    ignoreRequestedPythonVersion: agent.ignoreRequestedPythonVersion,
    packageManager: pm.type,
    extraIndexUrls: pm.extraIndexUrl,
    extraPipInstallFlags: pm.extraPipInstallFlags,
    forceRepoRequirementsTxt: pm.forceRepoRequirementsTxt,
    forceOriginalRequirements: pm.forceOriginalRequirements,
    systemSitePackages: pm.systemSitePackages,
    pipVersion: pm.pipVersion,
    pipLegacyResolver: pm.pipLegacyResolver,
    forceUpgrade: pm.forceUpgrade,
    priorityPackages: pm.priorityPackages,
    priorityOptionalPackages: pm.priorityOptionalPackages,
    postPackages: pm.postPackages,
    postOptionalPackages: pm.postOptionalPackages,
    torch: {
      resolve: pm.pytorchResolve,
      nightly: pm.torchNightly,
      ...(pm.extraIndexUrlTemplate ? { extraIndexUrlTemplate: pm.extraIndexUrlTemplate } : {}),
      ...(pm.nightlyExtraIndexUrlTemplate ? { nightlyExtraIndexUrlTemplate: pm.nightlyExtraIndexUrlTemplate } : {}),
      torchPage: pm.torchPage,
      torchNightlyPage: pm.torchNightlyPage,
      torchUrlTemplatePrefix: pm.torchUrlTemplatePrefix,
      torchUrlTemplate: pm.torchUrlTemplate,
    },
    // agent.cuda_version (or CUDA_VERSION) given: used as is; not given: nvidia-smi is asked.
    ...(agent.cudaVersion !== null ? { cudaVersion: agent.cudaVersion } : {}),
    poetry: { version: pm.poetryVersion, installExtraArgs: pm.poetryInstallExtraArgs, filesFromRepoWorkingDir: pm.poetryFilesFromRepoWorkingDir },
    uv: { version: pm.uvVersion, syncExtraArgs: pm.uvSyncExtraArgs, filesFromRepoWorkingDir: pm.uvFilesFromRepoWorkingDir },
    conda: { channels: pm.condaChannels, fullEnvUpdate: pm.condaFullEnvUpdate },
    pipCacheDir: agent.pipDownloadCache.enabled ? agent.pipDownloadCache.path : null,
    venvsDir: agent.venvsDir,
    cache:
      agent.venvsCache.path && !cacheDisabled
        ? {
            dir: agent.venvsCache.path,
            maxEntries: agent.venvsCache.maxEntries,
            freeSpaceThresholdGb: agent.venvsCache.freeSpaceThresholdGb,
            lockTimeoutSec: agent.venvsCache.lockTimeoutSec,
          }
        : null,
  };
}
