import { statSync } from 'node:fs';
import { EnvironmentError } from './errors.js';
import { runProcess, summariseFailure } from './run-process.js';

/** What a working interpreter says about itself. */
export interface InterpreterInfo {
  /** Real path of the interpreter (shims such as pyenv's resolved away). */
  executable: string;
  /** `X.Y.Z` */
  version: string;
  /** e.g. `cpython` */
  implementation: string;
  /** `sysconfig.get_platform()`, e.g. `linux-x86_64` */
  platform: string;
  /** `sys.prefix`: the installation (or venv) the interpreter belongs to. */
  prefix: string;
}

export interface InterpreterSelection {
  pythonBinary?: string | null;
  defaultPython?: string | null;
  ignoreRequestedPythonVersion: boolean;
}

/** Where the interpreter choice came from, so errors can say which setting to change. */
export type InterpreterPlan =
  | { kind: 'version'; version: string; origin: 'task' | 'default_python' }
  | { kind: 'binary'; binary: string }
  | { kind: 'default' };

/**
 * `script.binary` → requested `X.Y` (or `X`). `python`/`python3`, shells and anything that is not
 * a versioned python ask for nothing in particular.
 */
export function requestedPythonVersion(binary: string | null | undefined): string | null {
  if (!binary) return null;
  const base = binary.trim().split(/[\\/]/).pop() ?? '';
  const match = /^python(\d+\.\d+)(?:\.exe)?$/i.exec(base);
  return match?.[1] ?? null;
}

/** Accepts `3.10`, `3.10.4`, `python3.10`; returns `X.Y`, or null when it is not a version. */
export function normaliseVersionSetting(value: string): string | null {
  const match = /^(?:python)?\s*(\d+)\.(\d+)(?:\.\d+)?$/i.exec(value.trim());
  return match ? `${match[1]}.${match[2]}` : null;
}

/** Pure: which interpreter to look for, in the order of §4.3 (task, python_binary, default_python). */
export function planInterpreter(binary: string | null | undefined, sel: InterpreterSelection): InterpreterPlan {
  const requested = sel.ignoreRequestedPythonVersion ? null : requestedPythonVersion(binary);
  if (requested) return { kind: 'version', version: requested, origin: 'task' };
  if (sel.pythonBinary && sel.pythonBinary.trim() !== '') return { kind: 'binary', binary: sel.pythonBinary.trim() };
  if (sel.defaultPython && sel.defaultPython.trim() !== '') {
    const version = normaliseVersionSetting(sel.defaultPython);
    if (!version) {
      throw new EnvironmentError(
        `invalid default python ${sel.defaultPython}`,
        `agent.default_python is "${sel.defaultPython}", which is not a Python version. Set it to a version such as "3.11", or set agent.python_binary instead.`,
      );
    }
    return { kind: 'version', version, origin: 'default_python' };
  }
  return { kind: 'default' };
}

const PROBE_SCRIPT = [
  'import json, os, platform, sys, sysconfig',
  'print(json.dumps({"executable": os.path.realpath(sys.executable), "version": platform.python_version(),',
  ' "implementation": sys.implementation.name, "platform": sysconfig.get_platform(), "prefix": sys.prefix}))',
].join('\n');

type ProbeOutcome = { ok: true; info: InterpreterInfo } | { ok: false; problem: string };

/**
 * Successful probes, remembered for a while: starting an interpreter (through a pyenv shim, a
 * bash script, ~100 ms) on every task would dominate the start of a task whose environment is
 * cached. An entry is used only while the interpreter file it found is unchanged, and only for
 * the same PATH and pyenv selection, so installing or switching interpreters is noticed.
 */
const probeCache = new Map<string, { info: InterpreterInfo; mtimeMs: number; at: number }>();
const probeCacheTtlMs = 5 * 60_000;

function probeCacheKey(command: string, env: NodeJS.ProcessEnv): string {
  return [command, env['PATH'] ?? '', env['PYENV_VERSION'] ?? '', process.cwd()].join('\0');
}

function mtimeOf(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Runs a candidate interpreter; a shim that exists but cannot run counts as missing. */
export async function probeInterpreter(
  command: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<ProbeOutcome> {
  const key = probeCacheKey(command, env);
  const cached = probeCache.get(key);
  if (cached && Date.now() - cached.at < probeCacheTtlMs && mtimeOf(cached.info.executable) === cached.mtimeMs) {
    return { ok: true, info: cached.info };
  }
  const outcome = await probeInterpreterUncached(command, env, signal);
  if (outcome.ok) {
    const mtimeMs = mtimeOf(outcome.info.executable);
    if (mtimeMs !== null) probeCache.set(key, { info: outcome.info, mtimeMs, at: Date.now() });
  }
  return outcome;
}

async function probeInterpreterUncached(
  command: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<ProbeOutcome> {
  const result = await runProcess(command, ['-c', PROBE_SCRIPT], { env, signal, captureStdout: true, timeoutMs: 30_000 });
  if (result.spawnError) {
    return { ok: false, problem: result.spawnError.code === 'ENOENT' ? 'not found' : result.spawnError.message };
  }
  if (result.exitCode !== 0) return { ok: false, problem: summariseFailure(result, 3) };
  try {
    const parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as Partial<InterpreterInfo>;
    if (typeof parsed.executable === 'string' && typeof parsed.version === 'string') {
      return {
        ok: true,
        info: {
          executable: parsed.executable,
          version: parsed.version,
          implementation: String(parsed.implementation ?? 'cpython'),
          platform: String(parsed.platform ?? process.platform),
          prefix: String(parsed.prefix ?? ''),
        },
      };
    }
  } catch {
    // fall through: whatever answered is not a python we can use
  }
  return { ok: false, problem: 'did not answer like a Python interpreter' };
}

function versionMatches(actual: string, wanted: string): boolean {
  return actual === wanted || actual.startsWith(`${wanted}.`);
}

function describeProblems(problems: string[]): string {
  return problems.length > 0 ? ` Tried: ${problems.join('; ')}.` : '';
}

/**
 * Finds the interpreter the environment is built from. A requested version that is not
 * installed is an error rather than a silent fallback to another version: a task recorded with
 * python3.10 that quietly runs on 3.12 fails later in ways that are much harder to read.
 */
export async function resolveInterpreter(
  binary: string | null | undefined,
  sel: InterpreterSelection,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<InterpreterInfo> {
  const plan = planInterpreter(binary, sel);
  const problems: string[] = [];

  if (plan.kind === 'binary') {
    const outcome = await probeInterpreter(plan.binary, env, signal);
    if (outcome.ok) return outcome.info;
    throw new EnvironmentError(
      `missing interpreter ${plan.binary}`,
      `agent.python_binary is "${plan.binary}" but it could not be run (${outcome.problem}). Install that interpreter or point agent.python_binary at one that exists.`,
    );
  }

  if (plan.kind === 'version') {
    const wanted = plan.version;
    for (const candidate of [`python${wanted}`, 'python3', 'python']) {
      const outcome = await probeInterpreter(candidate, env, signal);
      if (!outcome.ok) {
        problems.push(`${candidate}: ${outcome.problem.split('\n')[0] ?? ''}`);
        continue;
      }
      if (versionMatches(outcome.info.version, wanted)) return outcome.info;
      problems.push(`${candidate}: is ${outcome.info.version}`);
    }
    const name = `python${wanted}`;
    const advice =
      plan.origin === 'task'
        ? `The task asks for ${name} (script.binary). Install Python ${wanted} on this machine, or set agent.ignore_requested_python_version: true to run it with agent.python_binary / the default python instead.`
        : `agent.default_python is ${wanted}. Install Python ${wanted}, or set agent.python_binary to an interpreter that exists.`;
    throw new EnvironmentError(`missing interpreter ${name}`, `${name} was not found on PATH. ${advice}${describeProblems(problems)}`);
  }

  const outcome = await probeInterpreter('python3', env, signal);
  if (outcome.ok) return outcome.info;
  throw new EnvironmentError(
    'missing interpreter python3',
    `No python3 could be run from PATH (${outcome.problem}). Install Python 3, or set agent.python_binary to the interpreter to use.`,
  );
}
