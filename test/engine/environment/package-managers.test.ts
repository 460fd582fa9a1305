/**
 * Each package-manager mode fails at once, before building anything, naming the missing tool
 * (the PATH here has none of uv, poetry, conda).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentOptions, PackageManagerType } from '../../../src-main/engine/environment/index.js';
import { EnvironmentError, prepareEnvironment } from '../../../src-main/engine/environment/index.js';
import { findOnPath } from '../../../src-main/engine/environment/installers/find-tool.js';
import { environmentCache, pipEnvironmentSettings } from '../../helpers/environment-settings.js';
import { rejectionOf } from '../../helpers/rejection.js';

let root: string;
let repoDir: string;
/**
 * A PATH holding nothing but python3 (a link to the real interpreter): uv, poetry and conda are
 * missing however this machine is set up (Debian's poetry lives in /usr/bin with everything else).
 */
let pathWithoutTools: string;
function options(packageManager: PackageManagerType): EnvironmentOptions {
  return {
    ...pipEnvironmentSettings(root, { packageManager, cache: environmentCache(path.join(root, 'cache'), 5) }),
    env: { ...process.env, PATH: pathWithoutTools },
    log: () => undefined,
  };
}

function failure(packageManager: PackageManagerType): Promise<EnvironmentError> {
  return rejectionOf(prepareEnvironment({ binary: 'python3', requirements: { pip: 'tray-alpha==1.0' }, repoDir, workingDir: repoDir }, options(packageManager)), EnvironmentError);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'env-pm-'));
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  const python = execFileSync('python3', ['-c', 'import os, sys; print(os.path.realpath(sys.executable))'], { encoding: 'utf8' }).trim();
  await symlink(python, path.join(bin, 'python3'));
  pathWithoutTools = bin;
  repoDir = path.join(root, 'repo');
  await mkdir(repoDir, { recursive: true });
  await writeFile(path.join(repoDir, 'pyproject.toml'), '[tool.poetry]\nname = "demo"\nversion = "0.1.0"\n');
  await writeFile(path.join(repoDir, 'poetry.lock'), '# empty lock\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('package managers whose tool is missing', () => {
  it.each([
    ['uv', /`uv` command was not found on PATH\. Install uv/],
    ['conda', /`conda` command was not found on PATH\. Install Miniconda/],
    ['poetry', /`poetry` command was not found on PATH\. Install Poetry/],
  ] as const)('%s mode fails naming the tool and the setting to change', async (mode, message) => {
    const error = await failure(mode);
    expect(error.reason).toBe(`missing tool ${mode}`);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(`agent.package_manager.type is "${mode}"`);
    expect(error.message).toMatch(/set agent.package_manager.type: pip/);
  });

  it('builds nothing before failing', async () => {
    await failure('uv');
    expect(existsSync(path.join(root, 'cache')) ? await readdir(path.join(root, 'cache')) : []).toEqual([]);
    expect(existsSync(path.join(root, 'venvs'))).toBe(false);
  });

  it('rejects an unknown package manager type by name', async () => {
    const error = await failure('pipenv' as PackageManagerType);
    expect(error.reason).toBe('unknown package manager pipenv');
    expect(error.message).toMatch(/use one of pip, uv, poetry, conda/);
  });

  it('findOnPath finds real executables only', async () => {
    expect(await findOnPath('sh', process.env)).toMatch(/\/sh$/);
    expect(await findOnPath('definitely-not-a-tool', process.env)).toBeNull();
  });
});
