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
  return frozen.map((line) => mapFrozenTorchLine(withoutUrlCredentials(line), directTorchUrls));
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
