/** clearml.conf and the environment → the environment phase's options, key by key. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../src-main/engine/config/index.js';
import { environmentOptionsFromConfig } from '../../../src-main/engine/environment/index.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'env-opts-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

async function optionsFor(conf: string, env: Record<string, string> = {}) {
  writeFileSync(join(home, 'clearml.conf'), conf);
  const { config } = await loadAgentConfig({ homeDir: home, env: { HOME: home, ...env } });
  return environmentOptionsFromConfig(config.agent);
}

describe('environmentOptionsFromConfig', () => {
  it("without a file: clearml-agent's built-in values", async () => {
    const options = await optionsFor('');
    expect(options).toMatchObject({
      packageManager: 'pip',
      pipVersion: ["<20.2 ; python_version < '3.10'", "<22.3 ; python_version >= '3.10' and python_version <= '3.11'", ">=23,<24.3 ; python_version >= '3.12'"],
      pipLegacyResolver: ['>=20.3,<24.3'],
      forceUpgrade: false,
      priorityPackages: ['cython', 'numpy', 'setuptools', 'pip', 'uv'],
      priorityOptionalPackages: ['pygobject'],
      postPackages: ['horovod'],
      postOptionalPackages: [],
      torch: { resolve: 'pip', nightly: false },
      poetry: { version: null, installExtraArgs: [], filesFromRepoWorkingDir: false },
      uv: { version: null, syncExtraArgs: [], filesFromRepoWorkingDir: false },
      conda: { channels: ['pytorch', 'conda-forge', 'nvidia', 'defaults'], fullEnvUpdate: false },
      pipCacheDir: join(home, '.clearml', 'pip-download-cache'),
      cache: { dir: join(home, '.clearml', 'venvs-cache'), maxEntries: 10 },
    });
    // No agent.cuda_version: nvidia-smi is asked when torch is installed.
    expect(options).not.toHaveProperty('cudaVersion');
  });

  it('every agent.package_manager key of the reference table', async () => {
    const options = await optionsFor(`agent {
  cuda_version: 12.1
  pip_download_cache { enabled: false }
  package_manager {
    type: poetry
    pip_version: ["==23.2"]
    pip_legacy_resolver: []
    system_site_packages: true
    force_upgrade: true
    extra_index_url: ["https://mirror/simple"]
    extra_pip_install_flags: "--pre --trusted-host mirror"
    force_repo_requirements_txt: true
    force_original_requirements: true
    priority_packages: [numpy]
    priority_optional_packages: []
    post_packages: [horovod, deepspeed]
    post_optional_packages: [apex]
    pytorch_resolve: direct
    torch_nightly: true
    extra_index_url_template: "https://torch.mirror/whl/cu{}/"
    nightly_extra_index_url_template: "https://torch.mirror/whl/nightly/cu{}/"
    torch_page: "https://torch.mirror/whl/cu{}/torch_stable.html"
    torch_nightly_page: "https://torch.mirror/whl/nightly/cu{}/torch_nightly.html"
    torch_url_template_prefix: "https://torch.mirror/whl/"
    torch_url_template: "{0.cuda_version}/torch-{0.torch_version}-cp{0.python}-cp{0.python}-{0.os_name}.whl"
    conda_channels: [conda-forge]
    conda_full_env_update: true
    poetry_version: ">=1.2"
    poetry_install_extra_args: ["--without", "dev"]
    poetry_files_from_repo_working_dir: true
    uv_version: "0.5.11"
    uv_sync_extra_args: "--no-dev"
    uv_files_from_repo_working_dir: true
  }
}
`);
    expect(options).toMatchObject({
      packageManager: 'poetry',
      pipVersion: ['==23.2'],
      pipLegacyResolver: [],
      systemSitePackages: true,
      forceUpgrade: true,
      extraIndexUrls: ['https://mirror/simple'],
      extraPipInstallFlags: ['--pre', '--trusted-host', 'mirror'],
      forceRepoRequirementsTxt: true,
      forceOriginalRequirements: true,
      priorityPackages: ['numpy'],
      priorityOptionalPackages: [],
      postPackages: ['horovod', 'deepspeed'],
      postOptionalPackages: ['apex'],
      torch: {
        resolve: 'direct',
        nightly: true,
        extraIndexUrlTemplate: 'https://torch.mirror/whl/cu{}/',
        nightlyExtraIndexUrlTemplate: 'https://torch.mirror/whl/nightly/cu{}/',
        torchPage: 'https://torch.mirror/whl/cu{}/torch_stable.html',
        torchNightlyPage: 'https://torch.mirror/whl/nightly/cu{}/torch_nightly.html',
        torchUrlTemplatePrefix: 'https://torch.mirror/whl/',
        torchUrlTemplate: '{0.cuda_version}/torch-{0.torch_version}-cp{0.python}-cp{0.python}-{0.os_name}.whl',
      },
      cudaVersion: '121',
      conda: { channels: ['conda-forge'], fullEnvUpdate: true },
      poetry: { version: '>=1.2', installExtraArgs: ['--without', 'dev'], filesFromRepoWorkingDir: true },
      uv: { version: '0.5.11', syncExtraArgs: ['--no-dev'], filesFromRepoWorkingDir: true },
      pipCacheDir: null,
      // poetry mode: never cached, as clearml-agent.
      cache: null,
    });
  });

  it('the environment variables clearml-agent reads for them', async () => {
    const options = await optionsFor('', {
      CLEARML_EXTRA_PIP_INSTALL_FLAGS: '--index-url http://127.0.0.1:9/simple/ --pre',
      CLEARML_AGENT_PACKAGE_PYTORCH_RESOLVE: 'none',
      CUDA_VERSION: '11.8',
      CLEARML_AGENT_VENV_CACHE_PATH: join(home, 'other-cache'),
      CLEARML_USE_CONDA_BASE_ENV: '1',
    });
    expect(options.extraPipInstallFlags).toEqual(['--index-url', 'http://127.0.0.1:9/simple/', '--pre']);
    expect(options.torch?.resolve).toBe('none');
    expect(options.cudaVersion).toBe('118');
    expect(options.cache?.dir).toBe(join(home, 'other-cache'));
    expect((await loadAgentConfig({ homeDir: home, env: { HOME: home, CLEARML_USE_CONDA_BASE_ENV: 'yes' } })).config.agent.packageManager.useCondaBaseEnv).toBe(true);
  });

  it('a bad value names the key', async () => {
    await expect(optionsFor('agent.package_manager.pytorch_resolve: fastest\n')).rejects.toThrow(/agent.package_manager.pytorch_resolve: expected one of pip, direct, none, got "fastest"/);
  });
});
