/**
 * Child process of cache-permissions.slow.test.ts: runs the workspace and environment phases
 * with every cache pointed at one folder, as the user the test chose (as root: `nobody`, so
 * that permission bits apply), and prints what happened as one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareEnvironment } from '../../../src-main/engine/environment/index.js';
import { prepareWorkspace } from '../../../src-main/engine/workspace/index.js';
import { environmentCache, pipEnvironmentSettings } from '../../helpers/environment-settings.js';

interface ChildInput {
  cases: { name: string; cacheDir: string }[];
  repoUrl: string;
  indexUrl: string;
  python: string;
  workDir: string;
  env: Record<string, string>;
}

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ChildInput;
const results: Record<string, unknown> = {};
for (const { name, cacheDir } of input.cases) {
  const workspaceLines: string[] = [];
  const environmentLines: string[] = [];
  const rootDir = path.join(input.workDir, `task-${name}`);
  const ws = await prepareWorkspace(
    { taskId: `task-${name}`, repository: input.repoUrl, branch: 'main' },
    { rootDir, vcsCacheDir: cacheDir, git: { forceSshProtocol: false, forceSshUser: 'git', translateSsh: true }, log: (l) => workspaceLines.push(l), env: input.env },
  );
  const env = await prepareEnvironment(
    { binary: 'python3', requirements: { pip: 'tray-alpha==1.0' }, repoDir: ws.repoDir, workingDir: ws.workingDir },
    {
      ...pipEnvironmentSettings(input.workDir, {
        pythonBinary: input.python,
        ignoreRequestedPythonVersion: true,
        extraPipInstallFlags: ['--index-url', input.indexUrl],
        venvsDir: path.join(input.workDir, `venvs-${name}`),
        cache: environmentCache(cacheDir, 5),
        pipCacheDir: cacheDir,
      }),
      env: input.env,
      log: (l) => environmentLines.push(l),
    },
  );
  const imported = execFileSync(env.pythonExecutable, ['-c', 'import tray_alpha; print(tray_alpha.__version__)'], { encoding: 'utf8' }).trim();
  results[name] = { workspaceLines, environmentLines, cacheHit: env.cacheHit, venvDir: env.venvDir, imported, resolvedCommit: ws.resolvedCommit };
  await env.release();
  await ws.cleanup();
}
process.stdout.write(`${JSON.stringify(results)}\n`);
