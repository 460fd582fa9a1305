/**
 * Pure: the frozen list as it is reported back to the task (tasks.set_requirements), so that a
 * clone of a finished task installs the same versions.
 */
import { withoutUrlCredentials } from './pip-indexes.js';
import { mapFrozenTorchLine } from './pytorch.js';

/**
 * `pip freeze` lines → the reported list: URLs lose their credentials (a token in a
 * `git+https://user:token@…` requirement must not reach the server; the agent's git
 * credentials apply again on the next run), and torch wheels installed by URL
 * (`pytorch_resolve: direct`) become `torch==X # url`. VCS lines stay `git+…@<commit>`.
 */
export function reportableFrozenLines(frozen: readonly string[], directTorchUrls: ReadonlyMap<string, string> = new Map()): string[] {
  return frozen.map((line) => installableVcsFileLine(mapFrozenTorchLine(withoutUrlCredentials(line), directTorchUrls)));
}

/**
 * pip freezes a VCS checkout of a local repository as `name @ git+file:///path@<commit>`, a
 * line pip itself then refuses ("Invalid requirement … looks like a path": a PEP 508 URL needs
 * a host). The older `git+file:///path@<commit>#egg=name` form installs the same commit.
 */
export function installableVcsFileLine(line: string): string {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*((?:git|hg|svn|bzr)\+file:\S+)$/.exec(line.trim());
  return m?.[1] && m[2] ? `${m[2]}#egg=${m[1]}` : line;
}

/**
 * What tasks.set_requirements gets: `pip` = the frozen list, `org_pip` = the developer's list —
 * the task's own `org_pip` once it has one (so it survives any number of re-runs), else the
 * list this run installed from (moved to `org_pip` the first time).
 */
export function requirementsReport(frozen: readonly string[], originalRequirements: string | null): { pip: string; org_pip: string | null } | null {
  if (frozen.length === 0) return null;
  return { pip: frozen.join('\n'), org_pip: originalRequirements === null ? null : withoutUrlCredentials(originalRequirements) };
}
