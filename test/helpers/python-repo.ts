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

/** Environment for Debian's poetry in tests: its own HOME, cache and config, no keyring. */
export function isolatedPoetryEnv(home: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    HOME: home,
    POETRY_CACHE_DIR: join(home, 'poetry-cache'),
    POETRY_CONFIG_DIR: join(home, 'poetry-config'),
    POETRY_DATA_DIR: join(home, 'poetry-data'),
    PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
  };
}

export interface PoetryProjectSpec {
  /** The PEP 503 index the project's only source points at (the test's local index). */
  indexUrl: string;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/**
 * A poetry project (package `demo`) in `dir`, locked with the real `poetry lock` against the
 * local index only (the source is `default = true`, so PyPI is never asked). Poetry 1.3 syntax.
 */
export async function writeLockedPoetryProject(dir: string, spec: PoetryProjectSpec, env: NodeJS.ProcessEnv): Promise<void> {
  const table = (deps: Record<string, string>) => Object.entries(deps).map(([name, version]) => `${name} = "${version}"`).join('\n');
  await mkdir(join(dir, 'demo'), { recursive: true });
  await writeFile(join(dir, 'demo', '__init__.py'), '');
  await writeFile(
    join(dir, 'pyproject.toml'),
    [
      '[tool.poetry]',
      'name = "demo"',
      'version = "0.1.0"',
      'description = ""',
      'authors = ["Tray Agent tests <tests@tray-agent.invalid>"]',
      '',
      '[tool.poetry.dependencies]',
      'python = "^3.9"',
      table(spec.dependencies),
      '',
      ...(spec.devDependencies ? ['[tool.poetry.group.dev.dependencies]', table(spec.devDependencies), ''] : []),
      '[[tool.poetry.source]]',
      'name = "local"',
      `url = "${spec.indexUrl}"`,
      'default = true',
      '',
      '[build-system]',
      'requires = ["poetry-core"]',
      'build-backend = "poetry.core.masonry.api"',
      '',
    ].join('\n'),
  );
  // Locking needs no environment of the project; without this poetry would create one.
  await execFileAsync('poetry', ['lock', '--no-interaction'], { cwd: dir, env: { ...env, POETRY_VIRTUALENVS_CREATE: 'false' } });
}
