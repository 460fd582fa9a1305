import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../../src-main/engine/environment/errors.js';
import {
  planInterpreter,
  requestedPythonVersion,
  resolveInterpreter,
} from '../../../src-main/engine/environment/interpreter.js';
import { rejectionOf } from '../../helpers/rejection.js';

const noSettings = { ignoreRequestedPythonVersion: false };
/** The python3 this machine has, as the tests expect to find it. */
const hostPython = JSON.parse(
  execFileSync('python3', ['-c', 'import json, os, platform, sys; print(json.dumps([os.path.realpath(sys.executable), platform.python_version()]))'], {
    encoding: 'utf8',
  }),
) as [string, string];
const [hostExecutable, hostVersion] = hostPython;
const hostMajorMinor = hostVersion.split('.').slice(0, 2).join('.');

describe('requestedPythonVersion / planInterpreter', () => {
  it('reads X.Y from script.binary and nothing from unversioned or non-python binaries', () => {
    expect(requestedPythonVersion('python3.10')).toBe('3.10');
    expect(requestedPythonVersion('/usr/bin/python3.12')).toBe('3.12');
    expect(requestedPythonVersion('python3')).toBeNull();
    expect(requestedPythonVersion('python')).toBeNull();
    expect(requestedPythonVersion('bash')).toBeNull();
    expect(requestedPythonVersion('')).toBeNull();
  });

  it('follows task version → python_binary → default_python → python3', () => {
    expect(planInterpreter('python3.10', { ...noSettings, pythonBinary: '/opt/py' })).toEqual({ kind: 'version', version: '3.10', origin: 'task' });
    expect(planInterpreter('python3.10', { ignoreRequestedPythonVersion: true, pythonBinary: '/opt/py' })).toEqual({ kind: 'binary', binary: '/opt/py' });
    expect(planInterpreter('python3', { ...noSettings, defaultPython: '3.9.18' })).toEqual({ kind: 'version', version: '3.9', origin: 'default_python' });
    expect(planInterpreter(null, noSettings)).toEqual({ kind: 'default' });
  });

  it('rejects a default_python that is not a version, naming the setting', () => {
    expect(() => planInterpreter(null, { ...noSettings, defaultPython: 'latest' })).toThrow(/agent.default_python is "latest"/);
  });
});

describe('resolveInterpreter (real interpreters)', () => {
  let shimDir: string;

  beforeAll(async () => {
    shimDir = await mkdtemp(path.join(os.tmpdir(), 'interp-shims-'));
    // Like a pyenv shim for a version that is not active: on PATH, but fails when run.
    const shim = path.join(shimDir, 'python3.98');
    await writeFile(shim, '#!/bin/sh\necho "pyenv: python3.98: command not found" >&2\nexit 127\n');
    await chmod(shim, 0o755);
  });
  afterAll(async () => {
    await rm(shimDir, { recursive: true, force: true });
  });

  it('uses python3 from PATH by default and reports its real path and X.Y.Z', async () => {
    const info = await resolveInterpreter('python3', noSettings, process.env);
    expect(info.executable).toBe(hostExecutable);
    expect(info.version).toBe(hostVersion);
    expect(info.platform).toMatch(/\S/);
  });

  it('honours a requested version that is installed', async () => {
    const info = await resolveInterpreter(`python${hostMajorMinor}`, noSettings, process.env);
    expect(info.version).toBe(hostVersion);
  });

  it('fails for a requested version that is not installed, saying what to do', async () => {
    const error = await rejectionOf(resolveInterpreter('python3.99', noSettings, process.env), EnvironmentError);
    expect(error.reason).toBe('missing interpreter python3.99');
    expect(error.message).toMatch(/Install Python 3.99/);
    expect(error.message).toMatch(/agent.ignore_requested_python_version/);
  });

  it('treats a shim that exists but cannot run as missing, and says what it tried', async () => {
    const env = { ...process.env, PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ''}` };
    const error = await rejectionOf(resolveInterpreter('python3.98', noSettings, env), EnvironmentError);
    expect(error.reason).toBe('missing interpreter python3.98');
    expect(error.message).toMatch(/python3.98: exited with code 127/);
    expect(error.message).toMatch(new RegExp(`python3: is ${hostVersion.replaceAll('.', '\\.')}`));
  });

  it('ignores the requested version when told to', async () => {
    const info = await resolveInterpreter('python3.99', { ignoreRequestedPythonVersion: true }, process.env);
    expect(info.version).toBe(hostVersion);
  });

  it('uses agent.python_binary as given, and names it when it cannot run', async () => {
    const info = await resolveInterpreter(null, { ...noSettings, pythonBinary: hostExecutable }, process.env);
    expect(info.executable).toBe(hostExecutable);
    const error = await rejectionOf(resolveInterpreter(null, { ...noSettings, pythonBinary: '/nonexistent/bin/python9' }, process.env), EnvironmentError);
    expect(error.reason).toBe('missing interpreter /nonexistent/bin/python9');
    expect(error.message).toMatch(/agent.python_binary is "\/nonexistent\/bin\/python9".*not found/);
  });

  it('uses agent.default_python and names it when missing', async () => {
    expect((await resolveInterpreter(null, { ...noSettings, defaultPython: hostMajorMinor }, process.env)).version).toBe(hostVersion);
    const error = await rejectionOf(resolveInterpreter(null, { ...noSettings, defaultPython: '3.97' }, process.env), EnvironmentError);
    expect(error.reason).toBe('missing interpreter python3.97');
    expect(error.message).toMatch(/agent.default_python is 3.97/);
  });

  it('fails clearly when there is no python3 at all', async () => {
    const error = await rejectionOf(resolveInterpreter(null, noSettings, { ...process.env, PATH: shimDir }), EnvironmentError);
    expect(error.reason).toBe('missing interpreter python3');
    expect(error.message).toMatch(/set agent.python_binary/);
  });
});
