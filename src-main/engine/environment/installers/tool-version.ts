import { createHash } from 'node:crypto';
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { withRequirementsFile } from '../requirements-file.js';
import { EnvironmentError } from '../errors.js';
import type { InterpreterInfo } from '../interpreter.js';
import { InvalidSpecifierError, parseVersion, satisfies, validateSpecifiers } from '../pep440.js';
import { acquireFileLock } from '../file-lock.js';
import { runProcess } from '../run-process.js';
import type { BuildContext } from './builder.js';
import { findOnPath, requireTool } from './find-tool.js';
import { pipBuilder, pipInstall } from './pip.js';
import type { PackageManagerType } from '../types.js';

export interface ToolRequest {
  tool: 'poetry' | 'uv';
  mode: PackageManagerType;
  /** agent.package_manager.poetry_version / uv_version; empty = any. */
  versionSpec: string | null | undefined;
  /** Where tools installed by the agent live (`<venvs_dir>/.tools`). */
  toolsDir: string;
  base: InterpreterInfo;
  /** `--extra-index-url …` lines for the pip install of the tool. */
  indexLines: string[];
}

/** Pure: `Poetry (version 1.3.2)` / `uv 0.5.11 (…)` → the version. */
export function parseToolVersion(output: string): string | null {
  const m = /(?:version\s+|^\S+\s+)v?(\d+(?:\.\d+)*(?:[a-z]+\d*)?)/im.exec(output.trim());
  return m?.[1] && parseVersion(m[1]) ? m[1] : null;
}

/** Pure: the pip requirement for a version setting (`1.8.3` → `poetry==1.8.3`, `>=1.2` → `poetry>=1.2`). */
export function toolRequirement(tool: string, spec: string): string {
  const trimmed = spec.trim();
  return parseVersion(trimmed) ? `${tool}==${trimmed}` : `${tool}${trimmed}`;
}

async function toolVersion(binary: string, ctx: BuildContext): Promise<string | null> {
  const result = await runProcess(binary, ['--version'], { env: ctx.env, signal: ctx.signal, captureStdout: true });
  return result.exitCode === 0 ? parseToolVersion(result.stdout) : null;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The tool binary for poetry/uv mode. Without a version setting: the one on PATH (or the
 * "missing tool" error). With one: the PATH tool if its version fits, else a copy installed
 * with pip into `<toolsDir>/<tool>-<hash>` (kept for the next task), as clearml-agent installs
 * `poetry<version>` when the one it finds does not fit.
 */
export async function resolveTool(req: ToolRequest, ctx: BuildContext): Promise<string> {
  const spec = req.versionSpec?.trim() ?? '';
  const key = `agent.package_manager.${req.tool}_version`;
  if (!spec) return requireTool(req.tool, req.mode, ctx.env);
  try {
    validateSpecifiers(spec);
  } catch (error) {
    if (error instanceof InvalidSpecifierError) throw new EnvironmentError(`invalid ${key}`, `${key} is ${JSON.stringify(spec)}: ${error.message}.`);
    throw error;
  }
  const onPath = await findOnPath(req.tool, ctx.env);
  const pathVersion = onPath ? await toolVersion(onPath, ctx) : null;
  if (onPath && pathVersion && satisfies(pathVersion, spec)) {
    ctx.log(`Package manager ${req.tool}: ${onPath} is version ${pathVersion}, which satisfies ${key} (${spec})`);
    return onPath;
  }
  const dir = path.join(req.toolsDir, `${req.tool}-${createHash('sha256').update(spec).digest('hex').slice(0, 12)}`);
  const installed = path.join(dir, 'bin', req.tool);
  if (await exists(installed)) {
    const version = await toolVersion(installed, ctx);
    if (version && satisfies(version, spec)) {
      ctx.log(`Package manager ${req.tool}: using ${installed} (version ${version}, installed earlier for ${key} ${spec})`);
      return installed;
    }
  }
  const why = onPath ? `${onPath} is version ${pathVersion ?? 'unknown'}, which does not satisfy ${key} (${spec})` : `there is no ${req.tool} on PATH`;
  const requirement = toolRequirement(req.tool, spec);
  await mkdir(req.toolsDir, { recursive: true });
  // Built in place under a lock: a venv's scripts hold its absolute path, so it cannot be moved.
  const lock = await acquireFileLock(`${dir}.lock`, { staleAfterMs: 60_000, signal: ctx.signal });
  try {
    if (await exists(installed)) {
      const version = await toolVersion(installed, ctx);
      if (version && satisfies(version, spec)) return installed;
    }
    ctx.log(`Package manager ${req.tool}: ${why}; installing ${requirement} into ${dir}`);
    await rm(dir, { recursive: true, force: true });
    try {
      const python = await pipBuilder.create(dir, req.base, ctx);
      await withRequirementsFile([...req.indexLines, requirement], (file) => pipInstall(python, file, ctx, `pip (installing ${requirement})`));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      if (!(error instanceof EnvironmentError) || error.reason === 'cancelled') throw error;
      throw new EnvironmentError(`missing tool ${req.tool}`, `${key} is ${JSON.stringify(spec)}: ${why}, and installing it failed.\n${error.message}`);
    }
    return installed;
  } finally {
    await lock.release();
  }
}
