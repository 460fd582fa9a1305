import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RequirementsSource } from './requirements.js';
import type { TaskRequirements } from './types.js';

export interface RequirementSourceFlags {
  forceRepoRequirementsTxt: boolean;
  forceOriginalRequirements: boolean;
}

/** What the task itself says to install, before looking at the repository. */
export type TaskRequirementsChoice =
  | { use: 'task'; text: string; label: string; original: string }
  | { use: 'files'; why: string };

export interface ResolvedRequirements {
  sources: RequirementsSource[];
  /** The developer's list as it should be kept in `org_pip`, or null when there is none. */
  originalRequirements: string | null;
  /** One line for the task log saying where the list came from. */
  description: string;
}

function asText(value: string | string[] | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return Array.isArray(value) ? value.join('\n') : value;
}

/**
 * Pure: the §4.6 order. A `pip` key that is present — even empty — is the list to install;
 * only a missing one falls back to the repository's requirements.txt files.
 */
export function chooseTaskRequirements(requirements: TaskRequirements | null, flags: RequirementSourceFlags): TaskRequirementsChoice {
  if (flags.forceRepoRequirementsTxt) return { use: 'files', why: 'agent.package_manager.force_repo_requirements_txt is set' };
  const pip = asText(requirements?.pip);
  const orgPip = asText(requirements?.org_pip);
  if (flags.forceOriginalRequirements && orgPip !== null) {
    return { use: 'task', text: orgPip, label: 'task script.requirements.org_pip', original: orgPip };
  }
  if (pip !== null) return { use: 'task', text: pip, label: 'task script.requirements.pip', original: orgPip ?? pip };
  return { use: 'files', why: 'the task lists no pip requirements' };
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Pure: the directories whose requirements.txt apply, repository root first. */
export function requirementsFileDirs(repoDir: string, workingDir: string): string[] {
  const root = path.resolve(repoDir);
  const work = path.resolve(workingDir);
  if (!isInside(root, work)) return [...new Set([root, work])];
  const dirs = [root];
  let current = root;
  for (const part of path.relative(root, work).split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    dirs.push(current);
  }
  return dirs;
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw error;
  }
}

export async function resolveRequirementSources(
  requirements: TaskRequirements | null,
  repoDir: string,
  workingDir: string,
  flags: RequirementSourceFlags,
): Promise<ResolvedRequirements> {
  const choice = chooseTaskRequirements(requirements, flags);
  if (choice.use === 'task') {
    return {
      sources: [{ text: choice.text, baseDir: path.resolve(repoDir), label: choice.label }],
      originalRequirements: choice.original,
      description: `Installing requirements from ${choice.label}`,
    };
  }
  const sources: RequirementsSource[] = [];
  for (const dir of requirementsFileDirs(repoDir, workingDir)) {
    const file = path.join(dir, 'requirements.txt');
    const text = await readIfExists(file);
    if (text !== null) sources.push({ text, baseDir: dir, label: file });
  }
  if (sources.length === 0) {
    return { sources, originalRequirements: null, description: `No requirements to install (${choice.why}, and no requirements.txt was found)` };
  }
  return {
    sources,
    originalRequirements: sources.map((s) => s.text.replace(/\s+$/, '')).join('\n'),
    description: `Installing requirements from ${sources.map((s) => s.label).join(', ')} (${choice.why})`,
  };
}
