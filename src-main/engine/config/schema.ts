import { z } from 'zod';
import type { ExpandContext } from './expand.js';
import {
  anyValue,
  bool,
  cudaVersion,
  derivedPath,
  describeInput,
  fileMode,
  num,
  numOrNull,
  oneOf,
  optHttpUrl,
  optPath,
  optStr,
  optStrList,
  path,
  section,
  skipVenvInstall,
  str,
  strList,
  stringRecord,
  withFileDefault,
} from './fields.js';

/*
 * The one place the built-in defaults are written: each field declares its default, and a
 * configuration with no clearml.conf reads these (defaults.ts reads the tree back). They are
 * clearml-agent's values (its default agent.conf/api.conf and the defaults hard-coded where keys
 * are read), so a file written for clearml-agent means the same here; the cache folders are the
 * same `~/.clearml/...` folders clearml-agent uses, so both agents share them. Keys marked "Ours"
 * are Tray Agent additions (see docs/configuration.md).
 */

const MIB = 1024 * 1024;

/** agent.docker_internal_mounts: where the agent's caches and ssh appear inside a container (clearml-agent's). */
export const DEFAULT_DOCKER_INTERNAL_MOUNTS: Readonly<Record<string, string>> = Object.freeze({
  sdk_cache: '/clearml_agent_cache',
  apt_cache: '/var/cache/apt/archives',
  ssh_folder: '~/.ssh',
  ssh_ro_folder: '/.ssh',
  pip_cache: '/root/.cache/pip',
  poetry_cache: '/root/.cache/pypoetry',
  vcs_cache: '/root/.clearml/vcs-cache',
  venvs_cache: '/root/.clearml/venvs-cache',
  venv_build: '~/.clearml/venvs-builds',
  pip_download: '/root/.clearml/pip-download-cache',
});

function apiSchema() {
  const retries = num(240, { integer: true, min: 0 });
  return section({
    apiServer: optHttpUrl(),
    webServer: optHttpUrl(),
    // Not only http(s): a files server may be s3://, gs:// or azure:// storage.
    filesServer: optStr(),
    credentials: section({ accessKey: optStr(), secretKey: optStr() }),
    authToken: optStr(),
    verifyCertificate: bool(true),
    http: section({
      retries: section({
        total: retries,
        connect: retries,
        read: retries,
        redirect: retries,
        status: retries,
        backoffFactor: num(1, { min: 0 }),
        backoffMax: num(120, { min: 0 }),
      }),
      waitOnMaintenanceForever: bool(true),
      maxReqSize: num(15 * MIB, { integer: true, min: 1024 }),
      defaultMethod: oneOf(['get', 'post', 'put'], 'get'),
    }),
    auth: section({ tokenExpirationThresholdSec: num(43200, { min: 0 }) }),
  });
}

function packageManagerSchema() {
  return section({
    type: oneOf(['pip', 'uv', 'poetry', 'conda'], 'pip'),
    // The pip clearml-agent pins per Python version.
    pipVersion: strList([
      "<20.2 ; python_version < '3.10'",
      "<22.3 ; python_version >= '3.10' and python_version <= '3.11'",
      ">=23,<24.3 ; python_version >= '3.12'",
    ]),
    pipLegacyResolver: strList(['>=20.3,<24.3']),
    systemSitePackages: bool(false),
    forceUpgrade: bool(false),
    extraIndexUrl: strList([]),
    extraPipInstallFlags: strList([], 'shell'),
    forceRepoRequirementsTxt: bool(false),
    forceOriginalRequirements: bool(false),
    priorityPackages: strList(['cython', 'numpy', 'setuptools', 'pip', 'uv']),
    priorityOptionalPackages: strList(['pygobject']),
    postPackages: strList(['horovod']),
    postOptionalPackages: strList([]),
    pytorchResolve: oneOf(['pip', 'direct', 'none'], 'pip'),
    // The pytorch.org index and page templates (`{}` is the CUDA version, e.g. 121).
    torchNightly: bool(false),
    extraIndexUrlTemplate: optStr(),
    nightlyExtraIndexUrlTemplate: optStr(),
    torchPage: optStr(),
    torchNightlyPage: optStr(),
    torchUrlTemplatePrefix: optStr(),
    torchUrlTemplate: optStr(),
    condaChannels: strList(['pytorch', 'conda-forge', 'nvidia', 'defaults']),
    condaFullEnvUpdate: bool(false),
    condaEnvAsBaseDocker: bool(false),
    useCondaBaseEnv: bool(false),
    poetryVersion: optStr(),
    poetryInstallExtraArgs: strList([], 'shell'),
    poetryFilesFromRepoWorkingDir: bool(false),
    uvVersion: optStr(),
    uvSyncExtraArgs: strList([], 'shell'),
    uvFilesFromRepoWorkingDir: bool(false),
  });
}

function agentSchema(context: ExpandContext) {
  return section(
    {
      // Identity and credentials.
      workerId: str(''),
      workerName: str(''),
      gitUser: optStr(),
      gitPass: optStr(),
      gitHost: optStr(),
      forceGitSshProtocol: bool(false),
      forceGitSshPort: numOrNull(null, { integer: true, min: 1, max: 65535 }),
      forceGitSshUser: str('git'),
      translateSsh: bool(true),
      enableGitAskPass: bool(true),
      disableSshMount: bool(false),
      // Python and packages.
      pythonBinary: optStr(),
      defaultPython: optStr(),
      ignoreRequestedPythonVersion: bool(false),
      forceGitRootPythonPath: bool(false),
      packageManager: packageManagerSchema(),
      venvsDir: path('~/.clearml/venvs-builds', context),
      venvsCache: section(
        {
          path: optPath(context, '~/.clearml/venvs-cache'),
          maxEntries: num(10, { integer: true, min: 0 }),
          freeSpaceThresholdGb: num(2, {}),
          lockTimeoutSec: num(30, { min: 0 }),
        },
        { lockTimeoutSec: 'lock_timeout' },
      ),
      vcsCache: section({
        enabled: bool(true),
        path: path('~/.clearml/vcs-cache', context),
        cloneOnPullFail: bool(false),
        // Ours: clearml-agent never evicts its vcs cache.
        maxEntries: num(50, { integer: true, min: 1 }),
      }),
      pipDownloadCache: section({
        enabled: bool(true),
        path: path('~/.clearml/pip-download-cache', context),
      }),
      customBuildScript: optPath(context),
      skipPipVenvInstall: skipVenvInstall(context),
      skipPythonEnvInstall: bool(false),
      cudaVersion: cudaVersion(),
      cudnnVersion: cudaVersion(),
      applyEnvironment: bool(true),
      applyFiles: bool(true),
      // Daemon behaviour.
      uptime: optStrList(),
      downtime: optStrList(),
      reloadConfig: bool(false),
      enableTaskEnv: bool(false),
      taskPingIntervalSec: num(60, { min: 0 }),
      abortCallbackMaxTimeout: num(1800, { min: 0 }),
      suppressCarriageReturn: bool(true),
      truncateTaskOutputFiles: bool(false),
      resourceMonitoring: section({
        defaultGpuUtilization: numOrNull(100, { min: 0, max: 100 }),
        diskUsePath: path('~', context),
        clusterReportIntervalSec: num(60, { min: 1 }),
      }),
      debug: bool(false),
      // Docker mode (read here, used by the docker launcher).
      defaultDocker: section({
        image: str('nvidia/cuda:11.0.3-cudnn8-runtime-ubuntu20.04'),
        arguments: optStrList('shell'),
      }),
      disableTaskDockerOverride: bool(false),
      extraDockerArguments: optStrList('shell'),
      dockerArgsExtraPrecedesTask: bool(true),
      protectedDockerExtraArgs: strList(['privileged', 'security-opt', 'network', 'ipc']),
      dockerArgsFilters: optStrList(),
      dockerAllowHostEnviron: bool(false),
      extraDockerShellScript: optStrList(),
      dockerInitBashScript: optStrList(),
      dockerPreprocessBashScript: optStrList(),
      dockerInstallOpencvLibs: bool(true),
      dockerUseActivatedVenv: bool(true),
      dockerForcePull: bool(false),
      dockerPipCache: path('~/.clearml/pip-cache', context),
      dockerAptCache: path('~/.clearml/apt-cache', context),
      dockerPoetryCache: path('~/.clearml/poetry-cache', context),
      // Container-side paths: not expanded on the host.
      dockerInternalMounts: stringRecord('', DEFAULT_DOCKER_INTERNAL_MOUNTS),
      dockerContainerNameFormat: optStr(),
      // name → dotted task field, usable as {name} in docker_container_name_format.
      dockerContainerNameFormatFields: stringRecord(''),
      // Ours: labels on every container (CLEARML_AGENT_EXTRA_DOCKER_LABELS), `key=value` words.
      extraDockerLabels: optStrList('shell'),
      hideDockerCommandEnvVars: section({
        enabled: bool(true),
        extraKeys: strList([]),
        parseEmbeddedUrls: bool(true),
      }),
      // Ours.
      skipBusyGpus: bool(false),
      abortPollIntervalSec: num(0.5, { min: 0.05, max: 60 }),
      abortGraceSec: num(10, { min: 0 }),
      stateDir: path('~/.tray-agent', context),
      spoolDir: derivedPath('~/.tray-agent/spool', context),
      daemon: daemonSchema(),
    },
  );
}

/**
 * Ours: what `daemon` flags set, so that flags, clearml.conf and the tray's preferences are
 * layers of one configuration (DESIGN.md "Configuration, one object"). Values are checked where
 * they are used (engine/daemon/daemon-settings.ts), with the flag or key named.
 */
function daemonSchema() {
  return section({
    queues: strList([]),
    orderFairness: bool(false),
    gpus: optStr(),
    cpuOnly: bool(false),
    dynamicGpus: bool(false),
    /** false = off, true = unlimited, N = at most N services at once. */
    servicesMode: anyValue(false),
    pollingIntervalSec: anyValue(5),
    createQueue: bool(false),
    childReportTags: strList([]),
    standaloneMode: bool(false),
    optimizeLevel: num(0, { integer: true, min: 0, max: 2 }),
    docker: anyValue(),
  });
}

/** A `files {}` entry; its path is expanded when the file is written (see files-section.ts). */
function fileEntrySchema() {
  return section(
    {
      path: z.unknown().optional().transform((input, ctx): string => {
        if (typeof input === 'string' && input.trim() !== '') return input;
        ctx.issues.push({ code: 'custom', message: `expected the path of the file to write, got ${describeInput(input)}`, input });
        return z.NEVER;
      }),
      contents: anyValue(),
      format: oneOf(['text', 'base64'], 'text'),
      targetFormat: oneOf(['auto', 'string', 'bytes', 'json', 'yaml', 'yml'], 'auto'),
      overwrite: bool(true),
      mode: fileMode(),
    },
  );
}

function filesSchema() {
  const entries = z.preprocess(
    (input) => (input === undefined || input === null ? {} : input),
    z.record(z.string(), fileEntrySchema(), {
      error: (issue) =>
        issue.code === 'invalid_type' ? `expected an object of file entries, got ${describeInput(issue.input)}` : undefined,
    }),
  );
  return withFileDefault(entries, {});
}

/** The schema of a whole resolved configuration tree (snake_case in, camelCase out). */
export function agentConfigSchema(context: ExpandContext) {
  return section({
    api: apiSchema(),
    agent: agentSchema(context),
    environment: stringRecord(' (quote keys that contain dots: "MY.VAR": value)'),
    files: filesSchema(),
  });
}

export type ParsedAgentConfig = z.output<ReturnType<typeof agentConfigSchema>>;
