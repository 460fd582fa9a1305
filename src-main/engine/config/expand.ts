import { resolve as resolvePath } from 'node:path';

export interface ExpandContext {
  homeDir: string;
  env: Record<string, string | undefined>;
}

/** `~` / `~/x` → the home folder; other `~user` forms are left alone. */
export function expandHome(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return `${homeDir}${homeDir.endsWith('/') ? '' : '/'}${path.slice(2)}`;
  return path;
}

/** `$NAME` and `${NAME}` from `env`; unknown names stay as written (like Python's expandvars). */
export function expandVars(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$(\w+)|\$\{([^}]+)\}/g, (match, bare: string | undefined, braced: string | undefined) => {
    const value = env[(bare ?? braced) as string];
    return value === undefined ? match : value;
  });
}

/** A host path from the configuration: variables, then `~`, then absolute (relative to cwd). */
export function expandPath(path: string, context: ExpandContext): string {
  return resolvePath(expandHome(expandVars(path, context.env), context.homeDir));
}
