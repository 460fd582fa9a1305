// `script.diff` is either the uncommitted changes (a git patch) or, for single-file and
// notebook tasks, the whole script body ("literal script").
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WorkspaceError } from './errors.js';
import { GitCommandError, type GitRunner } from './git-command.js';

export type ScriptDiff = { kind: 'none' } | { kind: 'patch'; patch: string } | { kind: 'literal'; body: string };

// A patch is recognised by its first line: `diff -…` (`diff --git a/x b/x`, `diff -r …`),
// optionally after `submodule …` lines. Requiring the dash keeps a script that begins with a
// statement like `diff = 3` a script.
const PATCH_START = /^(?:(?:submodule\b[^\n]*\n)+)?diff -/i;

export function classifyScriptDiff(diff: string | null | undefined): ScriptDiff {
  if (!diff || diff.trim() === '') return { kind: 'none' };
  const body = diff.replace(/^\uFEFF/, '');
  if (PATCH_START.test(body.replace(/^(?:[ \t]*\r?\n)+/, ''))) return { kind: 'patch', patch: body };
  return { kind: 'literal', body };
}

/**
 * Applies the patch to the working tree. A plain apply first (exact context, like
 * clearml-agent); if that fails — typically the branch moved since the diff was taken — a
 * three-way merge against the blobs the patch names, accepted only when it merges cleanly.
 */
export async function applyPatch(opts: { git: GitRunner; repoDir: string; patch: string; log: (line: string) => void }): Promise<'applied' | 'applied-3way'> {
  const { git, repoDir, log } = opts;
  const input = opts.patch.endsWith('\n') ? opts.patch : `${opts.patch}\n`;
  try {
    await git.run(['apply', '--unidiff-zero', '--whitespace=nowarn', '-'], { cwd: repoDir, input });
    return 'applied';
  } catch (error) {
    if (!(error instanceof GitCommandError)) throw error;
    const plainError = error.stderr;
    log(`git diff did not apply as is (${plainError.split('\n')[0] ?? ''}); trying a three-way merge`);
    const merged = await git.probe(['apply', '--3way', '--unidiff-zero', '--whitespace=nowarn', '-'], { cwd: repoDir, input });
    if (merged) {
      // --3way stages its result; keep the index at the commit like a plain apply does.
      await git.probe(['reset', '--quiet'], { cwd: repoDir });
      return 'applied-3way';
    }
    throw new WorkspaceError(
      'failed applying git diff',
      `failed applying git diff (script.diff) to ${repoDir}: ${plainError || 'git apply failed'}. ` +
        'The diff does not match the checked-out code: pin the commit it was taken on (script.version_num) or regenerate the diff.',
    );
  }
}

/** The file a literal script is written to: the entry point when it names a file, else `script.py`. */
export function literalScriptFileName(entryPoint: string | null | undefined): string {
  const entry = entryPoint?.trim() ?? '';
  if (entry === '' || entry.startsWith('-')) return 'script.py';
  return entry;
}

/** Writes the script body; an existing file of that name in the repository wins (clearml-agent does the same). */
export async function writeLiteralScript(opts: { path: string; body: string; log: (line: string) => void }): Promise<'written' | 'kept-repository-file'> {
  if (existsSync(opts.path)) {
    opts.log(`literal script not written: ${opts.path} already exists in the repository`);
    return 'kept-repository-file';
  }
  try {
    await mkdir(dirname(opts.path), { recursive: true });
    await writeFile(opts.path, opts.body, { mode: 0o644 });
  } catch (error) {
    throw new WorkspaceError('failed writing script', `failed writing the task's script to ${opts.path}: ${(error as Error).message}`);
  }
  return 'written';
}
