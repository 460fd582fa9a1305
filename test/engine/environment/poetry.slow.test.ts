/**
 * Poetry mode for real, with Debian's python3-poetry (1.3.2) and a project locked against the
 * local index: the lock decides what is installed, the agent.package_manager.poetry_* keys
 * change what poetry is asked to do, and a broken lock fails the task naming the file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentOptions, EnvironmentRequest } from '../../../src-main/engine/environment/index.js';
import { EnvironmentError, prepareEnvironment } from '../../../src-main/engine/environment/index.js';
import type { PackageIndex } from '../../helpers/package-index.js';
import { isolatedPipEnv } from '../../helpers/package-index.js';
import { startPrepareFixture, type PrepareFixture } from '../../helpers/prepare-fixture.js';
import { isolatedPoetryEnv, writeLockedPoetryProject } from '../../helpers/python-repo.js';
import { rejectionOf } from '../../helpers/rejection.js';

let fx: PrepareFixture;
let root: string;
let index: PackageIndex;
let env: NodeJS.ProcessEnv;
/** A locked project: tray-beta 1.0 (and so tray-alpha) for main, tray-gamma in the dev group. */
let template: string;
let logs: string[];
let copies = 0;

beforeAll(async () => {
  fx = await startPrepareFixture({ prefix: 'env-poetry-' });
  ({ root, index } = fx);
  const home = path.join(root, 'home');
  await mkdir(home);
  env = isolatedPoetryEnv(home, isolatedPipEnv());
  template = path.join(root, 'template');
  await writeLockedPoetryProject(template, { indexUrl: index.url, dependencies: { 'tray-beta': '1.0' }, devDependencies: { 'tray-gamma': '*' } }, env);
});
afterAll(async () => {
  await fx?.close();
});

/** A fresh checkout of the template (a task's workspace), optionally below `subdir`. */
async function checkout(subdir = ''): Promise<string> {
  copies += 1;
  const repo = path.join(root, `repo-${copies}`);
  await mkdir(repo);
  await cp(template, path.join(repo, subdir), { recursive: true });
  return repo;
}

function options(overrides: Partial<EnvironmentOptions> = {}): EnvironmentOptions {
  logs = [];
  return fx.options({
    packageManager: 'poetry',
    cache: null,
    // Without PYTHON_KEYRING_BACKEND: the agent itself keeps poetry away from the keyring.
    env: Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'PYTHON_KEYRING_BACKEND')),
    log: (line) => logs.push(line),
    ...overrides,
  });
}

function request(repoDir: string, workingDir = repoDir): EnvironmentRequest {
  return { binary: 'python3', requirements: { pip: 'tray-alpha==1.0' }, repoDir, workingDir };
}

function installed(python: string): string {
  return execFileSync(python, ['-c', 'import importlib.util as u; print(*[n for n in ("tray_alpha", "tray_beta", "tray_gamma", "demo") if u.find_spec(n)])'], { encoding: 'utf8' }).trim();
}

describe('poetry mode', () => {
  it("installs exactly poetry.lock into the project's .venv (the task's list is ignored) and reports the result", async () => {
    const repo = await checkout();
    const prepared = await prepareEnvironment(request(repo), options({ poetry: { version: '>=1.2' } }));
    expect(logs.some((l) => /^Package manager poetry: \S+ is version 1\.3\.\d+, which satisfies agent\.package_manager\.poetry_version \(>=1\.2\)$/.test(l))).toBe(true);
    expect(logs).toContain(`Package manager poetry: installing from ${path.join(repo, 'poetry.lock')} (the task's package list is not used)`);
    expect(prepared.venvDir).toBe(path.join(repo, '.venv'));
    expect(existsSync(path.join(repo, 'poetry.toml'))).toBe(false);
    expect(installed(prepared.pythonExecutable)).toBe('tray_alpha tray_beta tray_gamma demo');
    // The lock has tray-alpha 2.0, whatever the task's list said.
    expect(prepared.frozenRequirements).toEqual(expect.arrayContaining(['tray-alpha==2.0', 'tray-beta==1.0', 'Tray_Gamma==0.3']));
    expect(prepared.requirementsReport?.pip).toMatch(/tray-alpha==2\.0/);
    expect(prepared.requirementsReport?.org_pip).toBe('tray-alpha==1.0');
    expect(prepared.cacheHit).toBe(false);
  });

  it('poetry_install_extra_args go to poetry install: --without dev leaves the dev group out', async () => {
    const repo = await checkout();
    const prepared = await prepareEnvironment(request(repo), options({ poetry: { installExtraArgs: ['--without', 'dev'] } }));
    expect(logs).toContain('Running: poetry install --no-interaction --without dev');
    expect(installed(prepared.pythonExecutable)).toBe('tray_alpha tray_beta demo');
  });

  it('poetry_files_from_repo_working_dir: the project in the working dir is used only with the key set', async () => {
    const repo = await checkout('service');
    const workingDir = path.join(repo, 'service');
    const fallback = await prepareEnvironment({ ...request(repo, workingDir), requirements: { pip: '' } }, options());
    expect(logs).toContain(`Package manager poetry: no pyproject.toml and poetry.lock in the repository root ${repo}; installing the task's requirements with pip, as clearml-agent does`);
    await fallback.release();
    const prepared = await prepareEnvironment(request(repo, workingDir), options({ poetry: { filesFromRepoWorkingDir: true } }));
    expect(prepared.venvDir).toBe(path.join(workingDir, '.venv'));
    expect(installed(prepared.pythonExecutable)).toBe('tray_alpha tray_beta tray_gamma demo');
  });

  it("a broken poetry.lock fails the task naming the file and poetry's message", async () => {
    const repo = await checkout();
    await writeFile(path.join(repo, 'poetry.lock'), 'this is [[ not toml\n');
    const error = await rejectionOf(prepareEnvironment(request(repo), options()), EnvironmentError);
    expect(error.reason).toBe('failed installing requirements');
    expect(error.message).toContain(`from the lock file ${path.join(repo, 'poetry.lock')}`);
    expect(error.message).toMatch(/Unable to read the lock file/);
    expect(error.message).toMatch(/regenerate it with `poetry lock`/);
  });

  it('a poetry_version the poetry on PATH does not meet: installed with pip, and the failure names the package and the indexes', async () => {
    const repo = await checkout();
    const error = await rejectionOf(prepareEnvironment(request(repo), options({ poetry: { version: '==9.9.9' } })), EnvironmentError);
    expect(error.reason).toBe('missing tool poetry');
    expect(error.message).toMatch(/^agent\.package_manager\.poetry_version is "==9\.9\.9": \S+ is version 1\.3\.\d+, which does not satisfy/);
    expect(error.message).toMatch(/No matching distribution found for poetry==9\.9\.9/);
    expect(error.message).toContain(`Indexes tried: ${index.url}.`);
    // Nothing half-installed is left for the next task.
    expect(existsSync(path.join(root, 'venvs', '.tools'))).toBe(true);
    expect(execFileSync('ls', [path.join(root, 'venvs', '.tools')], { encoding: 'utf8' }).split('\n').filter((n) => n.startsWith('poetry-') && !n.endsWith('.lock'))).toEqual([]);
  });
});
