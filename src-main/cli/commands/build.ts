import { hostname } from 'node:os';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadAgentConfig, applyEnvironmentSection } from '../../engine/config/index.js';
import { createApiClient } from '../../engine/api/index.js';
import { apiClientOptionsFromConfig } from '../../engine/api/from-config.js';
import { createTaskRunApi } from '../../engine/task-run/api-adapter.js';
import { taskRunSettingsFromConfig } from '../../engine/task-run/settings-from-config.js';
import { CleanupStack } from '../../engine/task-run/cleanup-stack.js';
import { TaskSetupError, type TaskRunContext } from '../../engine/task-run/context.js';
import { workspacePhase, workspaceRequestOf } from '../../engine/task-run/phases/workspace.js';
import { prepareWorkspace, WorkspaceError } from '../../engine/workspace/index.js';
import { buildEnvironment } from '../../engine/environment/build-environment.js';
import { pipBuilder } from '../../engine/environment/installers/pip.js';
import { resolveInterpreter } from '../../engine/environment/interpreter.js';
import { resolveRequirementSources } from '../../engine/environment/requirement-sources.js';
import { planRequirements } from '../../engine/environment/requirements.js';
import { EnvironmentError } from '../../engine/environment/errors.js';
import type { EnvironmentOptions, TaskRequirements } from '../../engine/environment/types.js';
import { planBuild } from '../../engine/environment/build-plan.js';
import { buildTaskImage, dockerSettingsFromConfig, DockerError, parseDockerFlag } from '../../engine/docker/index.js';
import { DockerArgsError } from '../../engine/docker/docker-args.js';
import { commandAction, UsageError, usageErrorsExitWith2 } from '../command-errors.js';

interface BuildFlags {
  id: string;
  target?: string;
  docker?: string[] | boolean;
  entryPoint?: 'reuse_task' | 'clone_task';
  pythonVersion?: string;
  forceDocker?: boolean;
}

/**
 * `tray-agent build --id T`: the task's environment without running it (reference §1.6, §7.2).
 * venv mode builds the venv into --target (the code under <target>/task_repository); docker mode
 * commits an image (docs/docker.md). No status changes, nothing written to the task.
 */
export function registerBuildCommand(program: Command): void {
  const command = program
    .command('build')
    .description("build a task's environment without running it: a venv (--target DIR) or a docker image (--docker)")
    .requiredOption('--id <task>', 'task whose environment to build')
    .option('--target <name>', 'venv mode: the venv folder; docker mode: the image to commit (default task_id_<id>)')
    .addOption(new Option('--docker [image...]', 'build inside a container of IMAGE (default: the task\'s or agent.default_docker.image) and commit it; switches go in one quoted word: --docker "IMAGE --ipc=host"'))
    .addOption(new Option('--entry-point <mode>', "docker mode: the committed image runs the task (reuse_task) or a clone of it (clone_task)").choices(['reuse_task', 'clone_task']))
    .option('--python-version <X.Y>', "python to use instead of the task's script.binary")
    .option('--force-docker', "docker mode: ignore the task's own container image; use --docker IMAGE or the default")
    .action(commandAction('build', async (flags: BuildFlags, cmd: Command) => {
      await buildTask(flags, cmd.optsWithGlobals().configFile as string | undefined);
    }));
  usageErrorsExitWith2(command);
}

function describeSetupFailure(error: unknown): never {
  if (error instanceof TaskSetupError) throw new Error(`${error.statusReason}: ${error.message}`, { cause: error });
  if (error instanceof EnvironmentError) throw new Error(error.message, { cause: error });
  throw error;
}

async function buildTask(flags: BuildFlags, configFile: string | undefined): Promise<void> {
  if (flags.pythonVersion !== undefined && !/^\d+(\.\d+)?$/.test(flags.pythonVersion)) throw new UsageError(`--python-version "${flags.pythonVersion}": expected X.Y, e.g. 3.11`);
  let dockerFlag;
  try {
    dockerFlag = parseDockerFlag(flags.docker);
  } catch (error) {
    if (error instanceof DockerArgsError) throw new UsageError(error.message);
    throw error;
  }
  if (!dockerFlag.enabled && (flags.entryPoint || flags.forceDocker)) throw new UsageError(`${flags.entryPoint ? '--entry-point' : '--force-docker'} only applies to docker builds; add --docker`);

  const { config, warnings } = await loadAgentConfig({ configFile });
  for (const warning of warnings) process.stderr.write(`tray-agent build: ${warning}\n`);
  const baseEnv: Record<string, string | undefined> = { ...process.env };
  applyEnvironmentSection(config, baseEnv);
  const client = createApiClient(apiClientOptionsFromConfig(config, { logger: (level, msg) => level !== 'debug' && process.stderr.write(`[api] ${msg}\n`) }));
  await client.login();
  const api = createTaskRunApi(client);
  const task = await api.getTask(flags.id);
  // Nothing GPU-related happens while building.
  const settings = taskRunSettingsFromConfig(config, { baseEnv, gpuEnv: { NVIDIA_VISIBLE_DEVICES: 'none', CUDA_VISIBLE_DEVICES: '' } });
  const cleanups = new CleanupStack();
  await mkdir(settings.workRoot, { recursive: true, mode: 0o700 });
  const taskDir = await mkdtemp(join(settings.workRoot, `build-${flags.id.slice(0, 12)}-`));
  cleanups.push('build folder', () => rm(taskDir, { recursive: true, force: true }));
  const print = (text: string) => process.stdout.write(text);
  const ctx: TaskRunContext = {
    taskId: flags.id,
    workerId: `${config.agent.workerName || hostname()}:build`,
    api,
    // A build installs: standalone mode and the skip-install variables are about running.
    settings: {
      ...settings,
      standalone: false,
      skipPythonEnvInstall: false,
      environment: { ...settings.environment, ...(flags.pythonVersion ? { defaultPython: flags.pythonVersion, ignoreRequestedPythonVersion: true } : {}) },
    },
    cleanups,
    log: (_level, text) => print(`${text}\n`),
    emit: () => undefined,
    taskDir,
    task,
    timings: {},
    output: { stdout: (chunk) => process.stdout.write(chunk), stderr: (chunk) => process.stderr.write(chunk) },
    // A build is never stopped by the server: only Ctrl+C (the abort signal below) ends it.
    stopRequested: new Promise(() => undefined),
  };
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (dockerFlag.enabled) {
      await workspacePhase().run(ctx, abort.signal).catch(describeSetupFailure);
      const docker = dockerSettingsFromConfig(config, {
        baseEnv,
        commandLine: dockerFlag.image ? { image: dockerFlag.image, arguments: dockerFlag.arguments } : null,
        pythonVersion: flags.pythonVersion ?? null,
        ignoreTaskImage: flags.forceDocker ?? false,
      });
      const target = flags.target ?? `task_id_${flags.id}`;
      const built = await buildTaskImage(ctx, { docker, target, entryPoint: flags.entryPoint ?? null }).catch((error: unknown) => {
        if (error instanceof DockerError) throw new Error(error.message, { cause: error });
        return describeSetupFailure(error);
      });
      print(`Docker image ${built.target} built from ${built.baseImage} for task ${flags.id}\n`);
    } else {
      await buildVenv(ctx, resolve(flags.target ?? join(config.agent.venvsDir, `task_${flags.id}`)), abort.signal);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const failure of await cleanups.runAll()) process.stderr.write(`tray-agent build: cleanup "${failure.name}" failed: ${String(failure.error)}\n`);
  }
}

/**
 * venv mode: the checkout in <target>/task_repository, the venv at <target> with the task's
 * requirements (clearml-agent's layout). Both stay after the command.
 */
async function buildVenv(ctx: TaskRunContext, target: string, signal: AbortSignal): Promise<void> {
  const { settings } = ctx;
  const script = ctx.task?.script ?? {};
  if (settings.environment.packageManager !== 'pip') {
    throw new UsageError(`build --target supports agent.package_manager.type pip; this agent uses ${settings.environment.packageManager} (run the task with execute, or switch to pip for the build)`);
  }
  if (existsSync(join(target, 'pyvenv.cfg')) || existsSync(join(target, 'task_repository'))) {
    throw new UsageError(`--target ${target} already holds an environment; remove it or give another folder`);
  }
  await mkdir(target, { recursive: true });
  const log = (line: string) => ctx.log('INFO', line);
  const env = { ...(settings.baseEnv as NodeJS.ProcessEnv), PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
  try {
    const workspace = await prepareWorkspace(workspaceRequestOf(ctx.taskId, script), { rootDir: target, vcsCacheDir: settings.vcsCacheDir, git: settings.git, log, signal, env });
    ctx.cleanups.push('workspace', () => workspace.cleanup());
    const base = await resolveInterpreter(script.binary, settings.environment, env, signal);
    log(`Python ${base.version}: ${base.executable}`);
    const resolved = await resolveRequirementSources((script.requirements as TaskRequirements | null) ?? null, workspace.repoDir, workspace.workingDir, settings.environment);
    log(resolved.description);
    const plan = planRequirements(resolved.sources, { pathExists: existsSync });
    for (const warning of plan.warnings) log(`WARNING: ${warning}`);
    // The same plan as a task run (package_manager keys, PyTorch index resolution, install order).
    const environmentOptions: EnvironmentOptions = { ...settings.environment, env, log, signal };
    const { plan: buildPlan } = await planBuild(plan.installLines, base, environmentOptions, env, true);
    const built = await buildEnvironment(pipBuilder, target, base, buildPlan, {
      env: { ...env, ...workspace.askPassEnv },
      log,
      signal,
      extraPipInstallFlags: settings.environment.extraPipInstallFlags,
      systemSitePackages: settings.environment.systemSitePackages,
      installFlags: [],
      describeIndexes: () => `Indexes tried: ${buildPlan.indexLines.join(', ') || 'pip\'s configured index'}`,
    });
    log(`Packages:\n${built.frozenRequirements.map((line) => `  ${line}`).join('\n') || '  (none)'}`);
    log(`Virtual environment: ${target} (python ${built.pythonVersion}: ${join(target, built.pythonRelative)})`);
    log(`Source code: ${workspace.repoDir}`);
    log(`Entry point: ${workspace.entryPoint || '(none)'} in ${workspace.workingDir}`);
  } catch (error) {
    if (error instanceof WorkspaceError) throw new Error(`${error.reason}: ${error.message}`, { cause: error });
    describeSetupFailure(error);
  }
}
