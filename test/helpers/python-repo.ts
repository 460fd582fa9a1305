import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** An isolated git environment for tests: its own HOME and global config, no system config. */
export function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Tray Agent tests',
    GIT_AUTHOR_EMAIL: 'tests@tray-agent.invalid',
    GIT_COMMITTER_NAME: 'Tray Agent tests',
    GIT_COMMITTER_EMAIL: 'tests@tray-agent.invalid',
  };
}

/**
 * A bare git repository holding a small Python project (files given by the test), published as
 * a file:// URL, plus the commit it holds. Real git, no network.
 */
export async function createPythonRepo(root: string, name: string, files: Record<string, string>): Promise<{ url: string; commit: string; bareDir: string }> {
  const env = isolatedGitEnv(root);
  const work = join(root, `${name}-work`);
  const bareDir = join(root, `${name}.git`);
  await mkdir(work, { recursive: true });
  const git = (args: string[], cwd: string) => execFileAsync('git', args, { cwd, env });
  await git(['init', '--quiet', '--initial-branch=main'], work);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(work, path, '..'), { recursive: true });
    await writeFile(join(work, path), content);
  }
  await git(['add', '-A'], work);
  await git(['commit', '--quiet', '-m', 'initial'], work);
  const { stdout } = await git(['rev-parse', 'HEAD'], work);
  await git(['clone', '--quiet', '--bare', work, bareDir], root);
  return { url: `file://${bareDir}`, commit: stdout.trim(), bareDir };
}
