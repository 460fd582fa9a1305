/**
 * Everything docker mode needs from the configuration and the agent's environment, resolved
 * once (like TaskRunSettings), so the phases never read config.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentConfig } from '../config/index.js';
import { expandHome } from '../config/expand.js';
import { dockerConnectionFromEnv, type DockerConnection } from './docker-client.js';
import type { MpsHost } from './gpu-request.js';
import { DEFAULT_INTERNAL_MOUNTS, parseHostMount, type DockerCacheFolders, type HostMount } from './mounts.js';
import type { MaskRules } from './printable-command.js';

export interface DockerSettings {
  readonly connection: DockerConnection;
  /** `--docker IMAGE ARGS` of the command line; null = the configured default. */
  readonly commandLine: { readonly image: string; readonly arguments: readonly string[] } | null;
  readonly defaultImage: string;
  readonly defaultArguments: readonly string[];
  readonly disableTaskDockerOverride: boolean;
  readonly extraArguments: readonly string[];
  readonly extraArgumentsPrecedeTask: boolean;
  readonly protectedExtraArgs: readonly string[];
  readonly argsFilters: readonly string[] | null;
  readonly allowHostEnviron: boolean;
  /** docker_preprocess_bash_script, docker_init_bash_script, extra_docker_shell_script: run before the venv, in this order. */
  readonly setupScripts: ReadonlyArray<{ readonly label: string; readonly lines: readonly string[] }>;
  readonly forcePull: boolean;
  readonly caches: DockerCacheFolders;
  readonly internalMounts: Readonly<Record<string, string>>;
  readonly containerNameFormat: string | null;
  readonly containerNameFields: Readonly<Record<string, string>>;
  readonly maskRules: MaskRules;
  /** ~/.ssh to copy into the container (read-only); null when disabled or absent. */
  readonly sshDir: string | null;
  readonly sshAuthSock: string | null;
  readonly hostMount: HostMount | null;
  readonly extraLabels: Readonly<Record<string, string>>;
  /** CLEARML_DOCKER_SKIP_GPUS_FLAG: no device request; the runtime reads NVIDIA_VISIBLE_DEVICES. */
  readonly skipGpusFlag: boolean;
  /** Share of the slot's GPU (dynamic GPUs `half=0.5`), null for whole GPUs. */
  readonly gpuFraction: number | null;
  readonly mps: MpsHost | null;
  /** The configuration's `environment {}` section, given to every container. */
  readonly environment: Readonly<Record<string, string>>;
  /** package_manager.system_site_packages (forced on in containers by clearml-agent unless CLEARML_AGENT_FORCE_SYSTEM_SITE_PACKAGES=0). */
  readonly systemSitePackages: boolean;
  /** `build --python-version X.Y`, else null (the task's script.binary). */
  readonly pythonVersion: string | null;
}

export interface DockerSettingsOverrides {
  readonly baseEnv?: Record<string, string | undefined>;
  readonly commandLine?: { readonly image: string; readonly arguments: readonly string[] } | null;
  readonly gpuFraction?: number | null;
  readonly mps?: MpsHost | null;
  readonly homeDir?: string;
  readonly pythonVersion?: string | null;
  /** `build --force-docker`: the task's own image is ignored. */
  readonly ignoreTaskImage?: boolean;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

function labelsFrom(words: readonly string[] | null): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const word of words ?? []) {
    const equals = word.indexOf('=');
    if (equals > 0) labels[word.slice(0, equals)] = word.slice(equals + 1);
    else if (word) labels[word] = '';
  }
  return labels;
}

function sdkCacheDir(config: AgentConfig, homeDir: string): string {
  const raw = config.raw as { sdk?: { storage?: { cache?: { default_base_dir?: unknown } } } };
  const configured = raw.sdk?.storage?.cache?.default_base_dir;
  return expandHome(typeof configured === 'string' && configured ? configured : '~/.clearml/cache', homeDir);
}

/** Where an NVIDIA MPS control daemon listens, when one runs on this machine. */
export function detectMps(env: Record<string, string | undefined>): string | null {
  const dir = env['CUDA_MPS_PIPE_DIRECTORY'] || '/tmp/nvidia-mps';
  return existsSync(join(dir, 'control')) ? dir : null;
}

export function dockerSettingsFromConfig(config: AgentConfig, overrides: DockerSettingsOverrides = {}): DockerSettings {
  const { agent } = config;
  const env = overrides.baseEnv ?? process.env;
  const homeDir = overrides.homeDir ?? env['HOME'] ?? homedir();
  const hostMount = parseHostMount(env['CLEARML_AGENT_K8S_HOST_MOUNT'] || env['CLEARML_AGENT_DOCKER_HOST_MOUNT'], env['CLEARML_AGENT_K8S_HOST_MOUNT'] ? 'CLEARML_AGENT_K8S_HOST_MOUNT' : 'CLEARML_AGENT_DOCKER_HOST_MOUNT');
  const sshDir = join(homeDir, '.ssh');
  const forceSystemSite = env['CLEARML_AGENT_FORCE_SYSTEM_SITE_PACKAGES'];
  const setupScripts = [
    { label: 'agent.docker_preprocess_bash_script', lines: agent.dockerPreprocessBashScript ?? [] },
    { label: 'agent.docker_init_bash_script', lines: agent.dockerInitBashScript ?? [] },
    { label: 'agent.extra_docker_shell_script', lines: agent.extraDockerShellScript ?? [] },
  ].filter((script) => script.lines.length > 0);
  return {
    connection: dockerConnectionFromEnv(env),
    commandLine: overrides.commandLine ?? null,
    defaultImage: agent.defaultDocker.image,
    defaultArguments: agent.defaultDocker.arguments ?? [],
    disableTaskDockerOverride: agent.disableTaskDockerOverride || (overrides.ignoreTaskImage ?? false),
    extraArguments: agent.extraDockerArguments ?? [],
    extraArgumentsPrecedeTask: agent.dockerArgsExtraPrecedesTask,
    protectedExtraArgs: agent.protectedDockerExtraArgs,
    argsFilters: agent.dockerArgsFilters,
    allowHostEnviron: agent.dockerAllowHostEnviron,
    setupScripts,
    forcePull: agent.dockerForcePull,
    caches: {
      pip: agent.dockerPipCache,
      apt: agent.dockerAptCache,
      vcs: agent.vcsCache.enabled ? agent.vcsCache.path : null,
      venvs: agent.venvsCache.path ? join(agent.venvsCache.path, 'docker') : null,
      sdk: sdkCacheDir(config, homeDir),
    },
    internalMounts: { ...DEFAULT_INTERNAL_MOUNTS, ...agent.dockerInternalMounts },
    containerNameFormat: agent.dockerContainerNameFormat,
    containerNameFields: agent.dockerContainerNameFormatFields,
    maskRules: { extraKeys: agent.hideDockerCommandEnvVars.extraKeys, parseEmbeddedUrls: agent.hideDockerCommandEnvVars.parseEmbeddedUrls },
    sshDir: agent.disableSshMount || !existsSync(sshDir) ? null : sshDir,
    sshAuthSock: agent.disableSshMount ? null : env['SSH_AUTH_SOCK'] || null,
    hostMount,
    extraLabels: labelsFrom(agent.extraDockerLabels),
    skipGpusFlag: truthy(env['CLEARML_DOCKER_SKIP_GPUS_FLAG']),
    gpuFraction: overrides.gpuFraction ?? null,
    mps: overrides.mps ?? null,
    environment: config.environment,
    // clearml-agent turns system site packages on in containers: the image's own packages count.
    systemSitePackages: forceSystemSite === undefined ? true : truthy(forceSystemSite),
    pythonVersion: overrides.pythonVersion ?? null,
  };
}
