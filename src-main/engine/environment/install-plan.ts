/**
 * Pure: the order in which a requirement list is installed, as clearml-agent does it.
 * `priority_packages` found in the list are installed one by one first (and stay in the main
 * install), `priority_optional_packages` likewise but a failure only drops them, the main list
 * goes in one pip run, and `post_packages` / `post_optional_packages` are taken out of it and
 * installed one by one afterwards. Packages of these lists that the task does not ask for are
 * not installed at all.
 */
import { normaliseProjectName, parseRequirementLine } from './requirements.js';

export interface PackageOrderLists {
  priority: readonly string[];
  priorityOptional: readonly string[];
  post: readonly string[];
  postOptional: readonly string[];
}

export const NO_PACKAGE_ORDER: PackageOrderLists = { priority: [], priorityOptional: [], post: [], postOptional: [] };

export interface SingleInstall {
  line: string;
  optional: boolean;
}

export interface InstallPlan {
  /** pip options from the requirement list (`--extra-index-url …`): part of every pip run. */
  optionLines: string[];
  priority: SingleInstall[];
  /** The one big install (priority lines included; an optional one that failed is dropped). */
  main: string[];
  post: SingleInstall[];
  /** What the order adds to the cache key: only packages the list actually has. */
  keyParts: string[];
}

function nameOf(line: string): string | null {
  const parsed = parseRequirementLine(line);
  if (parsed.kind === 'package') return parsed.name;
  if ((parsed.kind === 'vcs' || parsed.kind === 'url' || parsed.kind === 'local') && parsed.name) return normaliseProjectName(parsed.name.replace(/\[.*$/, ''));
  return null;
}

export function planInstallOrder(installLines: readonly string[], lists: PackageOrderLists): InstallPlan {
  const optionLines: string[] = [];
  const packageLines: { line: string; name: string | null }[] = [];
  for (const line of installLines) {
    if (parseRequirementLine(line).kind === 'option') optionLines.push(line);
    else packageLines.push({ line, name: nameOf(line) });
  }
  const normalise = (names: readonly string[]) => names.map((n) => normaliseProjectName(n.trim())).filter(Boolean);
  const postNames = new Set(normalise(lists.post));
  const postOptionalNames = new Set(normalise(lists.postOptional));

  const priority: SingleInstall[] = [];
  const keyParts: string[] = [];
  const taken = new Set<string>();
  const addPriority = (names: string[], optional: boolean) => {
    for (const name of names) {
      for (const pkg of packageLines) {
        if (pkg.name !== name || taken.has(pkg.line)) continue;
        taken.add(pkg.line);
        priority.push({ line: pkg.line, optional });
        keyParts.push(`${optional ? 'priority-optional' : 'priority'}:${name}`);
      }
    }
  };
  addPriority(normalise(lists.priority), false);
  addPriority(normalise(lists.priorityOptional), true);

  const main: string[] = [];
  const post: SingleInstall[] = [];
  for (const pkg of packageLines) {
    const isPost = pkg.name !== null && (postNames.has(pkg.name) || postOptionalNames.has(pkg.name)) && !taken.has(pkg.line);
    if (!isPost) {
      main.push(pkg.line);
      continue;
    }
    const optional = !postNames.has(pkg.name!);
    post.push({ line: pkg.line, optional });
    keyParts.push(`${optional ? 'post-optional' : 'post'}:${pkg.name}`);
  }
  return { optionLines, priority, main, post, keyParts };
}
