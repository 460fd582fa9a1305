/**
 * The command lines of each package manager, as pure functions. uv and conda cannot be
 * installed on the machines we build on, so their command lines are checked here against
 * what their documentation (uv 0.5, conda 24) says; poetry and pip also run for real in the
 * slow tests.
 */
import { describe, expect, it } from 'vitest';
import { condaCreateCommand } from '../../../src-main/engine/environment/installers/conda-commands.js';
import { namingRequirementLines, pipInstallArgs, venvCreateArgs } from '../../../src-main/engine/environment/installers/pip.js';
import { poetryCommands, poetryEnvironment } from '../../../src-main/engine/environment/installers/poetry.js';
import { parseToolVersion, toolRequirement } from '../../../src-main/engine/environment/installers/tool-version.js';
import { parseUvVersion, uvPipFreezeCommand, uvPipInstallCommand, uvSyncCommand, uvVenvCommand } from '../../../src-main/engine/environment/installers/uv-commands.js';

describe('uv command lines', () => {
  it.each([
    [uvVenvCommand({ dir: '/v/env', python: '/usr/bin/python3.11', systemSitePackages: false }), ['venv', '--seed', '--python', '/usr/bin/python3.11', '/v/env'], {}],
    [uvVenvCommand({ dir: '/v/env', python: '/usr/bin/python3.11', systemSitePackages: true }), ['venv', '--seed', '--python', '/usr/bin/python3.11', '--system-site-packages', '/v/env'], {}],
    [
      uvPipInstallCommand({ python: '/v/env/bin/python', requirementsFile: '/t/r.txt', upgrade: false, extraFlags: ['--index-url', 'http://i/simple/'] }),
      ['pip', 'install', '--python', '/v/env/bin/python', '-r', '/t/r.txt', '--index-url', 'http://i/simple/'],
      {},
    ],
    [uvPipInstallCommand({ python: '/p', requirementsFile: '/r', upgrade: true, extraFlags: [] }), ['pip', 'install', '--python', '/p', '-r', '/r', '--upgrade'], {}],
    [uvPipFreezeCommand('/v/env/bin/python'), ['pip', 'freeze', '--python', '/v/env/bin/python'], {}],
    [
      uvSyncCommand({ python: '/usr/bin/python3.11', cacheDir: '/venvs/uv-cache', extraArgs: ['--no-dev'] }),
      ['sync', '--locked', '--python', '/usr/bin/python3.11', '--no-dev'],
      { UV_CACHE_DIR: '/venvs/uv-cache', UV_PROJECT_ENVIRONMENT: '.venv', UV_NO_PROGRESS: '1' },
    ],
  ])('%j', (command, args, env) => {
    expect(command.args).toEqual(args);
    expect(command.env).toEqual(env);
  });

  it('reads its version', () => {
    expect(parseUvVersion('uv 0.5.11 (c4d0caaee 2024-12-19)')).toBe('0.5.11');
    expect(parseToolVersion('uv 0.5.11 (c4d0caaee 2024-12-19)')).toBe('0.5.11');
  });
});

describe('conda command lines', () => {
  it.each([
    [['pytorch', 'conda-forge', 'nvidia', 'defaults'], ['create', '--yes', '--quiet', '--prefix', '/v/env', '-c', 'pytorch', '-c', 'conda-forge', '-c', 'nvidia', '-c', 'defaults', 'python=3.10', 'pip']],
    [[], ['create', '--yes', '--quiet', '--prefix', '/v/env', 'python=3.10', 'pip']],
  ])('channels %j', (channels, args) => {
    expect(condaCreateCommand({ prefix: '/v/env', pythonVersion: '3.10.14', channels }).args).toEqual(args);
  });
});

describe('poetry and pip command lines', () => {
  it('poetry: env use, install with the extra args, env path; settings through the environment', () => {
    expect(poetryCommands({ python: '/usr/bin/python3.11', installExtraArgs: ['--without', 'dev'] })).toEqual({
      envUse: ['env', 'use', '/usr/bin/python3.11'],
      install: ['install', '--no-interaction', '--without', 'dev'],
      envPath: ['env', 'info', '--path'],
    });
    expect(poetryEnvironment(true)).toMatchObject({ POETRY_VIRTUALENVS_IN_PROJECT: 'true', POETRY_VIRTUALENVS_OPTIONS_SYSTEM_SITE_PACKAGES: 'true' });
    expect(poetryEnvironment(false)).not.toHaveProperty('POETRY_VIRTUALENVS_OPTIONS_SYSTEM_SITE_PACKAGES');
    expect(poetryEnvironment(false).PYTHON_KEYRING_BACKEND).toBe('keyring.backends.null.Keyring');
    expect(poetryEnvironment(false, { PYTHON_KEYRING_BACKEND: 'keyring.backends.SecretService.Keyring' })).not.toHaveProperty('PYTHON_KEYRING_BACKEND');
    expect(parseToolVersion('Poetry (version 1.3.2)')).toBe('1.3.2');
    expect(toolRequirement('poetry', '1.8.3')).toBe('poetry==1.8.3');
    expect(toolRequirement('poetry', '>=1.2,<2')).toBe('poetry>=1.2,<2');
  });

  it("pip's references to lines of the temporary file become the requirement itself", () => {
    const text = 'ERROR: Cannot install -r /tmp/tray-agent-reqs-x1/requirements.txt (line 2) and tray-alpha==1.0 because ...';
    expect(namingRequirementLines(text, '/tmp/tray-agent-reqs-x1/requirements.txt', ['tray-alpha==1.0', 'tray-delta==1.0'])).toBe(
      'ERROR: Cannot install "tray-delta==1.0" and tray-alpha==1.0 because ...',
    );
  });

  it('pip: venv and install argv', () => {
    expect(venvCreateArgs('/v', true)).toEqual(['-m', 'venv', '--system-site-packages', '/v']);
    expect(pipInstallArgs('/r.txt', ['--use-deprecated=legacy-resolver', '--upgrade'])).toEqual([
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '-r',
      '/r.txt',
      '--use-deprecated=legacy-resolver',
      '--upgrade',
    ]);
  });
});
