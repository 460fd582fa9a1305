import { readFileSync } from 'node:fs';
import { EnvironmentError } from '../errors.js';
import { runProcess, summariseFailure } from '../run-process.js';
import type { BuildContext, EnvironmentBuilder } from './builder.js';
import { freezeLines, venvPython } from './builder.js';

export const INSTALL_FAILED = 'failed installing requirements';

/** Pure: the argv of one pip install (after the interpreter). */
export function pipInstallArgs(requirementsFile: string, flags: readonly string[]): string[] {
  return ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-r', requirementsFile, ...flags];
}

function installFlags(ctx: BuildContext): string[] {
  return [...ctx.installFlags, ...ctx.extraPipInstallFlags];
}

export function installFailure(tool: string, summary: string, ctx: BuildContext): EnvironmentError {
  return new EnvironmentError(
    INSTALL_FAILED,
    `${INSTALL_FAILED}: ${tool} ${summary}\n${ctx.describeIndexes()} Check the package names and versions in the task's requirements and the package indexes the agent uses (agent.package_manager.extra_index_url, extra_pip_install_flags).`,
  );
}

async function runPipInstall(python: string, requirementsFile: string, ctx: BuildContext) {
  const args = pipInstallArgs(requirementsFile, installFlags(ctx));
  ctx.log(`Running: ${python} ${args.join(' ')}`);
  return runProcess(python, args, { env: ctx.env, signal: ctx.signal, onLine: ctx.log });
}

/**
 * Pure: pip names lines of our temporary file as `-r /tmp/…/requirements.txt (line 2)`; the
 * user needs the requirement itself.
 */
export function namingRequirementLines(text: string, requirementsFile: string, lines: readonly string[]): string {
  const escaped = requirementsFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`-r ${escaped} \\(line (\\d+)\\)`, 'g'), (whole, n: string) => {
    const line = lines[Number(n) - 1];
    return line === undefined ? whole : `"${line.trim()}"`;
  });
}

function failureSummary(result: Awaited<ReturnType<typeof runProcess>>, requirementsFile: string): string {
  let lines: string[] = [];
  try {
    lines = readFileSync(requirementsFile, 'utf8').split('\n');
  } catch {
    // the file is gone: keep pip's wording
  }
  return namingRequirementLines(summariseFailure(result), requirementsFile, lines);
}

/** `python -m pip install -r FILE` into the environment of `python`. */
export async function pipInstall(python: string, requirementsFile: string, ctx: BuildContext, tool = 'pip'): Promise<void> {
  const result = await runPipInstall(python, requirementsFile, ctx);
  if (result.exitCode !== 0) throw installFailure(tool, failureSummary(result, requirementsFile), ctx);
}

export async function tryPipInstall(python: string, requirementsFile: string, ctx: BuildContext): Promise<string | null> {
  const result = await runPipInstall(python, requirementsFile, ctx);
  return result.exitCode === 0 ? null : failureSummary(result, requirementsFile);
}

export async function pipFreeze(python: string, ctx: BuildContext): Promise<string[]> {
  // --local: with system_site_packages, the base interpreter's packages are not this environment's.
  const result = await runProcess(python, ['-m', 'pip', 'freeze', '--local', '--disable-pip-version-check'], {
    env: ctx.env,
    signal: ctx.signal,
    captureStdout: true,
  });
  if (result.exitCode !== 0) {
    throw new EnvironmentError('failed listing installed packages', `pip freeze ${summariseFailure(result)}`);
  }
  return freezeLines(result.stdout);
}

/** The version of pip inside the environment of `python`, or null when there is no pip. */
export async function pipVersionOf(python: string, ctx: Pick<BuildContext, 'env' | 'signal'>): Promise<string | null> {
  const result = await runProcess(python, ['-m', 'pip', '--version', '--disable-pip-version-check'], {
    env: ctx.env,
    signal: ctx.signal,
    captureStdout: true,
  });
  if (result.exitCode !== 0) return null;
  return /^pip\s+(\S+)/m.exec(result.stdout)?.[1] ?? null;
}

/** Pure: the argv of `python -m venv`. */
export function venvCreateArgs(dir: string, systemSitePackages: boolean): string[] {
  return ['-m', 'venv', ...(systemSitePackages ? ['--system-site-packages'] : []), dir];
}

/** The default: `python -m venv` (pip comes from the interpreter's bundled ensurepip, offline). */
export const pipBuilder: EnvironmentBuilder = {
  name: 'pip',
  usesPip: true,
  async create(dir, base, ctx) {
    const args = venvCreateArgs(dir, ctx.systemSitePackages);
    ctx.log(`Creating virtual environment: ${base.executable} ${args.join(' ')}`);
    const result = await runProcess(base.executable, args, { env: ctx.env, signal: ctx.signal, onLine: ctx.log });
    if (result.exitCode !== 0) {
      const summary = summariseFailure(result);
      const hint = /ensurepip/i.test(summary)
        ? ` This Python lacks ensurepip; on Debian/Ubuntu install the venv package for it (apt install python${base.version.split('.').slice(0, 2).join('.')}-venv).`
        : '';
      throw new EnvironmentError('failed creating environment', `python -m venv ${dir} ${summary}.${hint}`);
    }
    return venvPython(dir);
  },
  install: (python, file, ctx) => pipInstall(python, file, ctx),
  tryInstall: tryPipInstall,
  freeze: pipFreeze,
};
