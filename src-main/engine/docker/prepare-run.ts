/**
 * Host side of a docker run, before any container exists: image and switches (policy enforced
 * first), the image present, the requirements resolved, and the run folder written — bootstrap,
 * requirements, the task's clearml.conf. Returns the container spec to create.
 */
import { chmod, cp, mkdir, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';
import type Dockerode from 'dockerode';
import type { TaskRunContext } from '../task-run/context.js';
import { buildEntryCommand, EntryPointError } from '../task-run/entry-command.js';
import { TaskSetupError } from '../task-run/context.js';
import { resolveRequirementSources } from '../environment/requirement-sources.js';
import { planRequirements } from '../environment/requirements.js';
import { pipSettingsFromEnv } from '../environment/cache-key.js';
import type { TaskRequirements } from '../environment/types.js';
import { DockerArgsError, parseDockerArgs, type DockerArgsSource } from './docker-args.js';
import { DockerArgsRefusedError, enforceArgsFilters, expandEnvSwitches, mergeDockerArgs } from './args-policy.js';
import { switchesToApi } from './switches-to-api.js';
import { selectImage, type ImageSelection } from './image-selection.js';
import { ensureImage } from './image.js';
import { containerGpuSettings, gpuRequestFromEnv } from './gpu-request.js';
import { CONTAINER_PATHS, DockerMountError, planMounts } from './mounts.js';
import { formatContainerName } from './container-name.js';
import { bootstrapScript, imageEntrypointScript, BUILD_ROOT, PYTHON_PLACEHOLDER } from './bootstrap-script.js';
import { dockerVenvKey, pythonCandidates } from './venv-key.js';
import { buildRunSpec, type ContainerRole, type RunSpec } from './run-spec.js';
import { STANDALONE_RUNNER_PY } from './standalone-runner.js';
import type { DockerSettings } from './settings.js';
import { DockerError, asTaskSetupError } from './errors.js';

export interface PreparedDockerRun {
  readonly spec: RunSpec;
  readonly selection: ImageSelection;
  readonly imageId: string;
  /** Host folder the bootstrap reports to (state, failure, frozen.txt). */
  readonly statusDir: string;
  /** The venv's key in the cache; null when it is not cached. */
  readonly venvKey: string | null;
  /** Nothing is installed (standalone / skip env install). */
  readonly skipInstall: boolean;
  readonly originalRequirements: string | null;
}

export interface PrepareRunOptions {
  readonly docker: Dockerode;
  readonly settings: DockerSettings;
  readonly role: ContainerRole;
  readonly parentWorkerId: string;
  /** Variables added for this role (services: CLEARML_AGENT_SERVICE_TASK=1). */
  readonly roleEnv: Readonly<Record<string, string>>;
  /** `build --entry-point`: what the committed image runs. */
  readonly buildEntry?: { readonly clone: boolean } | null;
}

function argsError(error: unknown): never {
  if (error instanceof DockerArgsRefusedError) throw new TaskSetupError('docker arguments not allowed', error.message);
  if (error instanceof DockerArgsError) throw new TaskSetupError('invalid docker arguments', error.message);
  if (error instanceof DockerMountError) throw new TaskSetupError('invalid docker mounts', error.message);
  if (error instanceof DockerError) throw asTaskSetupError(error);
  throw error;
}

/** A host path inside the task's code folder, as the container sees it. */
function inContainer(codeRoot: string, hostPath: string, containerRoot: string): string {
  const rel = relative(codeRoot, hostPath);
  if (rel.startsWith('..')) throw new TaskSetupError('invalid working directory', `${hostPath} is outside the task's code folder ${codeRoot}`);
  return rel ? posix.join(containerRoot, ...rel.split(/[\\/]/)) : containerRoot;
}

function taskEnvironmentSection(ctx: TaskRunContext): Record<string, string> {
  if (!ctx.settings.enableTaskEnv) return {};
  const env: Record<string, string> = {};
  for (const item of Object.values(ctx.task?.hyperparams?.['Environment'] ?? {})) if (item?.name) env[item.name] = item.value ?? '';
  return env;
}

function copyable(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() || stat.isDirectory();
  } catch {
    return false; // a dangling link
  }
}

function scriptFile(lines: readonly string[]): string {
  // Comment and blank lines dropped, as clearml-agent does with setup_shell_script.
  return `${lines.filter((line) => line.trim() !== '' && !line.trim().startsWith('#')).join('\n')}\n`;
}

export async function prepareDockerRun(ctx: TaskRunContext, options: PrepareRunOptions): Promise<PreparedDockerRun> {
  const { settings: docker, docker: client } = options;
  const { settings } = ctx;
  const workspace = ctx.workspace;
  if (!workspace) throw new Error('docker mode needs the workspace phase first');
  const task = ctx.task!;

  // 1. Image and switches, and the admin's policy over them — before anything is pulled or started.
  let selection: ImageSelection;
  let switches;
  try {
    selection = selectImage({
      commandLine: docker.commandLine,
      defaultImage: docker.defaultImage,
      defaultArguments: docker.defaultArguments,
      taskContainer: task.container ?? null,
      ignoreTaskImage: docker.disableTaskDockerOverride,
    });
    const source: DockerArgsSource = selection.source === 'task' ? 'task' : selection.source === 'command-line' ? 'command-line' : 'default';
    const imageSwitches = parseDockerArgs(selection.arguments, source);
    enforceArgsFilters(imageSwitches, docker.argsFilters);
    const merged = mergeDockerArgs({
      image: imageSwitches,
      extra: parseDockerArgs(docker.extraArguments, 'extra'),
      extraPrecedesTask: docker.extraArgumentsPrecedeTask,
      protectedNames: docker.protectedExtraArgs,
    });
    const expanded = expandEnvSwitches(merged.switches, settings.baseEnv, docker.allowHostEnviron);
    for (const note of [...merged.notes, ...expanded.notes]) ctx.log('WARNING', note);
    switches = expanded.switches;
    switchesToApi(switches); // a switch the agent cannot honour fails now, not after the pull
  } catch (error) {
    argsError(error);
  }
  ctx.log('INFO', `Running task ${ctx.taskId} inside ${selection.source === 'task' ? '' : 'default '}docker image ${selection.image}`);

  // 2. The image.
  let imageId: string;
  try {
    ({ id: imageId } = await ensureImage(client, selection.image, { forcePull: docker.forcePull, endpoint: docker.connection.endpoint, log: (line) => ctx.log('INFO', line) }));
  } catch (error) {
    argsError(error);
  }

  // 3. Requirements, resolved on the host from the checkout (§4.6), installed inside.
  const skipInstall = settings.standalone || settings.skipPythonEnvInstall;
  const codeRoot = join(ctx.taskDir, 'code');
  const containerCode = options.role === 'build' ? `${BUILD_ROOT}/code` : CONTAINER_PATHS.code;
  const script = task.script ?? {};
  const resolved = skipInstall
    ? null
    : await resolveRequirementSources((script.requirements as TaskRequirements | null) ?? null, workspace.repoDir, workspace.workingDir, settings.environment);
  const plan = resolved ? planRequirements(resolved.sources, { pathExists: existsSync }) : null;
  if (resolved) ctx.log('INFO', `Container environment: ${resolved.description}`);
  for (const warning of plan?.warnings ?? []) ctx.log('WARNING', warning);
  // Local paths in the list point into the checkout: give pip the container's view of them.
  const installLines = (plan?.installLines ?? []).map((line) => line.split(codeRoot).join(CONTAINER_PATHS.code));
  const indexFlags = settings.environment.extraIndexUrls.map((u) => u.trim()).filter(Boolean).flatMap((u) => ['--extra-index-url', u]);
  const pipFlags = [...indexFlags, ...settings.environment.extraPipInstallFlags];
  const pipEnv = pipSettingsFromEnv(settings.baseEnv as NodeJS.ProcessEnv);
  const usableCandidates = docker.pythonVersion
    ? pythonCandidates(null, docker.pythonVersion)
    : pythonCandidates(settings.environment.ignoreRequestedPythonVersion ? null : script.binary);

  // 4. Run folder (read-only inside), status folder (written by the bootstrap).
  const runDir = join(ctx.taskDir, 'docker', 'run');
  const statusDir = join(ctx.taskDir, 'docker', 'status');
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  await mkdir(statusDir, { recursive: true });
  // The container's user may not be the agent's; the task folder above stays private (0700).
  await chmod(statusDir, 0o777);
  await writeFile(join(runDir, 'requirements.txt'), `${installLines.join('\n')}\n`, { mode: 0o644 });
  await writeFile(join(runDir, 'clearml.conf'), `${JSON.stringify(options.role === 'build' ? {} : settings.childConfig, null, 2)}\n`, { mode: 0o644 });
  const askPassVars = Object.entries(workspace.askPassEnv).filter(([key]) => key !== 'GIT_ASKPASS');
  const askPassHelper = workspace.askPassEnv['GIT_ASKPASS'];
  if (askPassHelper && askPassVars.length > 0) {
    const exports = [`export GIT_ASKPASS=${CONTAINER_PATHS.askpass}/${basename(askPassHelper)}`, ...askPassVars.map(([key, value]) => `export ${key}='${value.replace(/'/g, `'\\''`)}'`)];
    await writeFile(join(runDir, 'git-askpass.env'), `${exports.join('\n')}\n`, { mode: 0o644 });
  }
  const setupScripts: Array<{ label: string; file: string }> = [];
  const taskSetup = selection.setupShellScript.split(/\r?\n/);
  for (const [index, entry] of [...docker.setupScripts, { label: "the task's container.setup_shell_script", lines: taskSetup }].entries()) {
    const body = scriptFile(entry.lines);
    if (body.trim() === '') continue;
    const file = `setup-${index}.sh`;
    await writeFile(join(runDir, file), body, { mode: 0o644 });
    setupScripts.push({ label: entry.label, file });
  }
  let sshCopyDir: string | null = null;
  if (docker.sshDir && !docker.sshAuthSock && options.role !== 'build') {
    sshCopyDir = join(ctx.taskDir, 'docker', 'ssh');
    // Regular files and folders only: ControlMaster sockets and the like cannot be copied.
    await cp(docker.sshDir, sshCopyDir, { recursive: true, dereference: true, filter: (source) => copyable(source) });
  }
  for (const dir of [docker.caches.pip, docker.caches.apt, docker.caches.venvs, docker.caches.sdk]) if (dir) await mkdir(dir, { recursive: true });

  // 5. Mounts, GPUs, environment, name → the container spec.
  let mounts;
  try {
    mounts = planMounts({
      runDir,
      statusDir,
      codeDir: codeRoot,
      askPassDir: askPassHelper && askPassVars.length > 0 ? join(askPassHelper, '..') : null,
      caches: options.role === 'build' ? { pip: docker.caches.pip, apt: docker.caches.apt, vcs: null, venvs: null, sdk: null } : docker.caches,
      internalMounts: docker.internalMounts,
      sshCopyDir,
      sshAuthSock: options.role === 'build' ? null : docker.sshAuthSock,
      hostMount: docker.hostMount,
    });
  } catch (error) {
    argsError(error);
  }
  for (const warning of mounts.warnings) ctx.log('WARNING', warning);
  const cacheable = plan !== null && plan.uncacheableReason === null && mounts.cachePaths.venvs !== null && options.role !== 'build';
  if (plan?.uncacheableReason) ctx.log('INFO', `Container environment not cached: ${plan.uncacheableReason}`);
  const venvKey = cacheable
    ? dockerVenvKey({ imageId, pythonCandidates: usableCandidates, systemSitePackages: docker.systemSitePackages, pipFlags, pipEnv, requirements: plan!.keyLines })
    : null;
  const venv = skipInstall
    ? null
    : options.role === 'build'
      ? { dir: `${BUILD_ROOT}/venv`, cached: false }
      : venvKey
        ? { dir: posix.join(mounts.cachePaths.venvs!, venvKey), cached: true }
        : { dir: '/tray-agent/venv', cached: false };

  const workingDir = inContainer(codeRoot, workspace.workingDir, containerCode);
  const repoDir = inContainer(codeRoot, workspace.repoDir, containerCode);
  let entry;
  try {
    const binary = script.binary?.trim().split('/').pop() ?? '';
    entry = buildEntryCommand({ task, pythonExecutable: PYTHON_PLACEHOLDER, entryPoint: workspace.entryPoint, workingDir, optimizeLevel: settings.optimizeLevel, shell: /^(ba|z)?sh$/.test(binary) ? binary : 'bash' });
  } catch (error) {
    if (error instanceof EntryPointError) throw new TaskSetupError('invalid entry point', error.message);
    throw error;
  }
  const pythonPath = settings.forceGitRootPythonPath ? [repoDir] : [...new Set([workingDir, repoDir])];
  const gpu = containerGpuSettings(gpuRequestFromEnv(settings.gpuEnv, docker.gpuFraction), { mps: docker.mps, skipGpusFlag: docker.skipGpusFlag });
  await writeFile(
    join(runDir, 'bootstrap.sh'),
    bootstrapScript({
      taskId: ctx.taskId,
      pythonCandidates: usableCandidates,
      venv,
      systemSitePackages: docker.systemSitePackages,
      hasRequirements: installLines.length > 0,
      pipFlags,
      pipEnv,
      gitAskPass: Boolean(askPassHelper && askPassVars.length > 0),
      setupScripts,
      sshCopyDir: sshCopyDir ? (docker.internalMounts['ssh_ro_folder'] ?? '/.ssh') : null,
      unsetEnv: gpu.unsetEnv,
      workingDir,
      pythonPath,
      entry: { command: entry.command, args: entry.args },
      mode: options.role === 'build' ? 'build' : 'run',
    }),
    { mode: 0o644 },
  );
  if (options.role === 'build') {
    await writeFile(join(runDir, 'standalone-runner.py'), STANDALONE_RUNNER_PY, { mode: 0o644 });
    await writeFile(
      join(runDir, 'entrypoint.sh'),
      imageEntrypointScript({ taskId: ctx.taskId, clone: options.buildEntry?.clone ?? false, workingDir, pythonPath, entry: { command: entry.command, args: entry.args } }),
      { mode: 0o755 },
    );
  }

  const named = formatContainerName({
    format: docker.containerNameFormat,
    taskId: ctx.taskId,
    workerId: ctx.workerId,
    task: task as unknown as Record<string, unknown>,
    fields: docker.containerNameFields,
  });
  if (named.warning) ctx.log('WARNING', named.warning);
  const agentEnv: Record<string, string> = {
    ...taskEnvironmentSection(ctx),
    ...options.roleEnv,
    CLEARML_TASK_ID: ctx.taskId,
    TRAINS_TASK_ID: ctx.taskId,
    CLEARML_LOG_TASK_TO_BACKEND: '0',
    TRAINS_LOG_TASK_TO_BACKEND: '0',
    CLEARML_CONFIG_FILE: `${CONTAINER_PATHS.run}/clearml.conf`,
    TRAINS_CONFIG_FILE: `${CONTAINER_PATHS.run}/clearml.conf`,
    CLEARML_WORKER_ID: ctx.workerId,
    CLEARML_DOCKER_IMAGE: selection.image,
    CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
    PYTHONUNBUFFERED: '1',
    ...(settings.logLevel ? { CLEARML_LOG_LEVEL: settings.logLevel, TRAINS_LOG_LEVEL: settings.logLevel } : {}),
    ...mounts.env,
  };
  if (options.role === 'build') {
    for (const key of ['CLEARML_TASK_ID', 'TRAINS_TASK_ID', 'CLEARML_CONFIG_FILE', 'TRAINS_CONFIG_FILE', 'CLEARML_WORKER_ID']) delete agentEnv[key];
  }
  const spec = buildRunSpec({
    taskId: ctx.taskId,
    workerId: ctx.workerId,
    parentWorkerId: options.parentWorkerId,
    role: options.role,
    image: selection.image,
    switches,
    baseEnv: docker.environment,
    agentEnv,
    mounts,
    gpu,
    extraLabels: docker.extraLabels,
    name: named.name,
    command: ['/bin/sh', `${CONTAINER_PATHS.run}/bootstrap.sh`],
    maskRules: docker.maskRules,
  });
  return {
    spec,
    selection,
    imageId,
    statusDir,
    venvKey,
    skipInstall,
    originalRequirements: resolved?.originalRequirements ?? null,
  };
}
