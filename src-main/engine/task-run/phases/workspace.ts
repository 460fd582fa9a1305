import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { evictVcsCache, prepareWorkspace, WorkspaceError, type WorkspaceRequest } from '../../workspace/index.js';
import { TaskSetupError, type TaskPhase } from '../context.js';
import type { TaskScript } from '../task-record.js';

/** What to check out for a task, from its `script` section (clearml's field names). */
export function workspaceRequestOf(taskId: string, script: TaskScript): WorkspaceRequest {
  return {
    taskId,
    repository: script.repository ?? '',
    branch: script.branch ?? '',
    tag: script.tag ?? '',
    commit: script.version_num ?? '',
    diff: script.diff ?? '',
    entryPoint: script.entry_point ?? '',
    workingDir: script.working_dir ?? '',
  };
}

/** Source code: vcs cache → clone/fetch → checkout → submodules → diff or literal script. */
export function workspacePhase(): TaskPhase {
  return {
    name: 'workspace',
    async run(ctx, signal) {
      const script = ctx.task?.script ?? {};
      const { settings } = ctx;
      if (settings.standalone) {
        // Standalone mode: the code is already where the agent runs (or where the env var says).
        const codeDir = settings.baseEnv['CLEARML_AGENT_FORCE_CODE_DIR'] || process.cwd();
        ctx.workspace = {
          repoDir: codeDir,
          workingDir: join(codeDir, script.working_dir ?? ''),
          entryPoint: script.entry_point ?? '',
          resolvedCommit: null,
          literalScript: false,
          askPassEnv: {},
          cleanup: async () => {},
        };
        ctx.log('INFO', `Standalone mode: using the code in ${codeDir} as is`);
        return;
      }
      const rootDir = join(ctx.taskDir, 'code');
      await mkdir(rootDir, { recursive: true, mode: 0o700 });
      try {
        ctx.workspace = await prepareWorkspace(
          workspaceRequestOf(ctx.taskId, script),
          {
            rootDir,
            vcsCacheDir: settings.vcsCacheDir,
            git: settings.git,
            log: (line) => ctx.log('INFO', line),
            signal,
            env: settings.baseEnv as NodeJS.ProcessEnv,
          },
        );
      } catch (error) {
        if (error instanceof WorkspaceError) throw new TaskSetupError(error.reason, error.message);
        throw error;
      }
      const workspace = ctx.workspace;
      const { vcsCacheDir, vcsCacheMaxEntries } = settings;
      if (vcsCacheDir && vcsCacheMaxEntries) {
        // Runs after the task (cleanups are last-in first-out), when its entry is no longer in use.
        ctx.cleanups.push('vcs cache eviction', async () => {
          const { removed } = await evictVcsCache({ dir: vcsCacheDir, maxEntries: vcsCacheMaxEntries });
          if (removed.length > 0) ctx.log('INFO', `vcs cache: evicted ${removed.length} least recently used repositories`);
        });
      }
      ctx.cleanups.push('workspace', () => workspace.cleanup());
      if (!script.version_num && workspace.resolvedCommit) {
        // Record the commit the task ran at, so a clone of it reproduces exactly this run.
        await ctx.api.setScriptVersion(ctx.taskId, workspace.resolvedCommit);
      }
    },
  };
}
