import { join } from 'node:path';
import type { AgentConfig } from '../config/index.js';
import { collectSecretValues } from '../config/index.js';
import { environmentOptionsFromConfig } from '../environment/index.js';
import type { TaskRunSettings } from './settings.js';

export interface RunOverrides {
  /** CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES for the task. */
  readonly gpuEnv?: Record<string, string | undefined>;
  /** The agent's environment (config `environment {}` already applied); default process.env. */
  readonly baseEnv?: Record<string, string | undefined>;
  readonly logLevel?: string;
  readonly timeoutSec?: number;
  readonly standalone?: boolean;
  readonly optimizeLevel?: number;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.trim().toLowerCase());
}

/**
 * The task's own clearml.conf: the server and credentials the agent uses (so the SDK inside
 * the task talks to the same server as the agent) plus the file's `sdk` section.
 */
function childConfigFrom(config: AgentConfig): Record<string, unknown> {
  const { api } = config;
  const raw = config.raw as Record<string, unknown>;
  const apiSection: Record<string, unknown> = {
    api_server: api.apiServer ?? '',
    web_server: api.webServer ?? '',
    files_server: api.filesServer ?? '',
    credentials: { access_key: api.credentials.accessKey ?? '', secret_key: api.credentials.secretKey ?? '' },
    // A server the agent reaches only without the certificate check is one the SDK must reach so too.
    ...(api.verifyCertificate ? {} : { verify_certificate: false }),
  };
  return { api: apiSection, ...(raw['sdk'] ? { sdk: raw['sdk'] } : {}) };
}

/** Resolves everything a task run needs from the configuration, once per daemon pass or execute. */
export function taskRunSettingsFromConfig(config: AgentConfig, overrides: RunOverrides = {}): TaskRunSettings {
  const { agent } = config;
  const baseEnv = overrides.baseEnv ?? process.env;
  const skipPythonEnvInstall = agent.skipPythonEnvInstall || truthy(baseEnv['CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL']);
  return {
    workRoot: join(agent.stateDir, 'work'),
    spoolDir: agent.spoolDir,
    vcsCacheDir: agent.vcsCache.enabled ? agent.vcsCache.path : null,
    vcsCacheMaxEntries: agent.vcsCache.maxEntries,
    git: {
      user: agent.gitUser ?? null,
      pass: agent.gitPass ?? null,
      host: agent.gitHost ?? null,
      forceSshProtocol: agent.forceGitSshProtocol,
      forceSshPort: agent.forceGitSshPort ?? null,
      forceSshUser: agent.forceGitSshUser,
      translateSsh: agent.translateSsh,
    },
    environment: environmentOptionsFromConfig(agent),
    baseEnv,
    gpuEnv: overrides.gpuEnv ?? {},
    forceGitRootPythonPath: agent.forceGitRootPythonPath,
    enableTaskEnv: agent.enableTaskEnv,
    suppressCarriageReturn: agent.suppressCarriageReturn,
    abortPollIntervalMs: Math.round(agent.abortPollIntervalSec * 1000),
    abortGraceMs: Math.round(agent.abortGraceSec * 1000),
    pingIntervalMs: Math.round(agent.taskPingIntervalSec * 1000),
    timeoutSec: overrides.timeoutSec ?? 0,
    logLevel: overrides.logLevel,
    optimizeLevel: overrides.optimizeLevel,
    childConfig: childConfigFrom(config),
    secrets: collectSecretValues(config),
    standalone: overrides.standalone ?? false,
    skipPythonEnvInstall,
    skipPipVenvInstall: agent.skipPipVenvInstall,
  };
}
