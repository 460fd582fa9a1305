import { prepareEnvironment, EnvironmentError } from '../../environment/index.js';
import { TaskSetupError, type TaskPhase } from '../context.js';

/** Interpreter, requirements, env cache; reports the frozen packages back to the task. */
export function environmentPhase(): TaskPhase {
  return {
    name: 'environment',
    async run(ctx, signal) {
      const workspace = ctx.workspace;
      if (!workspace) throw new Error('environment phase needs the workspace phase first');
      const { settings } = ctx;
      const script = ctx.task?.script ?? {};
      const skipInstall = settings.standalone || settings.skipPythonEnvInstall;
      const noVenv = settings.skipPipVenvInstall;
      try {
        ctx.environment = await prepareEnvironment(
          {
            binary: script.binary ?? 'python',
            requirements: skipInstall ? null : (script.requirements as never) ?? null,
            repoDir: workspace.repoDir,
            workingDir: workspace.workingDir,
            skipInstall,
            installIntoInterpreter: Boolean(noVenv),
          },
          {
            ...settings.environment,
            ...(typeof noVenv === 'string' && noVenv ? { pythonBinary: noVenv, ignoreRequestedPythonVersion: true } : {}),
            env: { ...(settings.baseEnv as NodeJS.ProcessEnv), ...workspace.askPassEnv },
            log: (line) => ctx.log('INFO', line),
            signal,
          },
        );
      } catch (error) {
        if (error instanceof EnvironmentError) throw new TaskSetupError(error.reason, error.message);
        throw error;
      }
      const environment = ctx.environment;
      ctx.cleanups.push('environment', () => environment.release());
      ctx.log('INFO', `Python environment ${environment.cacheHit ? 'reused from cache' : 'built'}: ${environment.venvDir ?? environment.pythonExecutable} (python ${environment.pythonVersion})`);
      if (!skipInstall && environment.requirementsReport) {
        await ctx.api.setRequirements(ctx.taskId, environment.requirementsReport);
      }
    },
  };
}
