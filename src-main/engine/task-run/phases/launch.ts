import { quote } from 'shell-quote';
import { buildEntryCommand, EntryPointError } from '../entry-command.js';
import { CliArgsError } from '../../api/index.js';
import { buildTaskEnv } from '../task-env.js';
import { writeChildConfigFile } from '../child-config-file.js';
import { startProcess, ProcessStartError } from '../../process/index.js';
import { TaskSetupError, type TaskPhase } from '../context.js';

function taskEnvironmentSection(ctx: Parameters<TaskPhase['run']>[0]): Record<string, string> {
  if (!ctx.settings.enableTaskEnv) return {};
  const section = ctx.task?.hyperparams?.['Environment'] ?? {};
  const env: Record<string, string> = {};
  for (const item of Object.values(section)) if (item?.name) env[item.name] = item.value ?? '';
  return env;
}

/** Starts the task process in its own process group with the task env (reference §4.2, §4.9). */
export function launchPhase(): TaskPhase {
  return {
    name: 'launch',
    async run(ctx) {
      const { workspace, environment, settings } = ctx;
      if (!workspace || !environment) throw new Error('launch needs the workspace and environment phases first');
      const configFile = await writeChildConfigFile(ctx.taskDir, settings.childConfig);
      const env = buildTaskEnv({
        baseEnv: settings.baseEnv,
        taskId: ctx.taskId,
        workerId: ctx.workerId,
        configFile,
        logLevel: settings.logLevel,
        workingDir: workspace.workingDir,
        repoDir: workspace.repoDir,
        forceGitRootPythonPath: settings.forceGitRootPythonPath,
        gpuEnv: settings.gpuEnv,
        taskEnvironment: taskEnvironmentSection(ctx),
        // Only a venv of ours goes first on PATH; an interpreter used as is keeps the env as it is.
        venvDir: settings.standalone || settings.skipPythonEnvInstall || settings.skipPipVenvInstall ? null : environment.venvDir,
      });
      let entry;
      try {
        entry = buildEntryCommand({
          task: ctx.task!,
          pythonExecutable: environment.pythonExecutable,
          entryPoint: workspace.entryPoint,
          workingDir: workspace.workingDir,
          optimizeLevel: settings.optimizeLevel,
        });
      } catch (error) {
        if (error instanceof EntryPointError) throw new TaskSetupError('invalid entry point', error.message);
        // The task's recorded arguments are its input, not an agent failure.
        if (error instanceof CliArgsError) throw new TaskSetupError('invalid task arguments', `task ${ctx.taskId}: ${error.message}`);
        throw error;
      }
      // Quoted as a shell would need it, so `hello.py; touch x` reads as the one argument it is.
      ctx.log('INFO', `Starting Task Execution: ${quote([entry.command, ...entry.args])} (in ${workspace.workingDir})`);
      let child;
      try {
        child = startProcess({ command: entry.command, args: entry.args, cwd: workspace.workingDir, env });
      } catch (error) {
        if (!(error instanceof ProcessStartError)) throw error;
        const exit = await error.exit;
        throw new TaskSetupError('failed starting the task process', `could not start ${entry.command}: ${exit.spawnError?.message ?? 'unknown error'}`);
      }
      ctx.process = child;
      const started = child;
      // Whatever ends the run, nothing of the task may outlive it.
      ctx.cleanups.push('task process group', async () => {
        await started.stop(settings.abortGraceMs);
      });
      ctx.emit({ type: 'process-started', taskId: ctx.taskId, pid: child.pid });
    },
  };
}
