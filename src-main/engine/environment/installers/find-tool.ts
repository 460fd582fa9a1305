import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { PackageManagerType } from '../types.js';

/** The first executable called `name` on the PATH of `env`, or null. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const suffixes = process.platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  for (const dir of dirs) {
    for (const suffix of suffixes) {
      const candidate = path.join(dir, `${name}${suffix}`);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  return null;
}

const INSTALL_HINTS: Record<string, string> = {
  uv: 'Install uv (e.g. `pipx install uv` or `pip install uv`)',
  poetry: 'Install Poetry (e.g. `pipx install poetry`)',
  conda: 'Install Miniconda/Miniforge and put `conda` on PATH',
};

/** The tool a package-manager mode depends on, or an error that names it and what to do. */
export async function requireTool(tool: string, mode: PackageManagerType, env: NodeJS.ProcessEnv): Promise<string> {
  const found = await findOnPath(tool, env);
  if (found) return found;
  const hint = INSTALL_HINTS[tool] ?? `Install ${tool}`;
  throw new EnvironmentError(
    `missing tool ${tool}`,
    `agent.package_manager.type is "${mode}" but the \`${tool}\` command was not found on PATH. ${hint} for the user the agent runs as, or set agent.package_manager.type: pip.`,
  );
}
