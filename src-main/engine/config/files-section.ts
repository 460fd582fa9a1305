import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { expandPath } from './expand.js';
import type { AgentConfig } from './load.js';

export type FileEntry = AgentConfig['files'][string];

export interface FileWriteResult {
  /** Name of the entry in `files {}`. */
  name: string;
  path: string;
  /** written; kept (exists and overwrite is false); failed (see error). */
  status: 'written' | 'kept' | 'failed';
  error?: string;
}

/** New files may hold credentials (the usual reason for a files {} entry): owner-only unless a mode is given. */
const DEFAULT_NEW_FILE_MODE = 0o600;

/** The bytes an entry asks for: text as is, base64 decoded, structures as JSON (which YAML also reads). */
export function fileEntryBytes(entry: FileEntry): Buffer {
  const { contents } = entry;
  if (entry.format === 'base64') {
    if (typeof contents !== 'string' || !/^[A-Za-z0-9+/=_\-\s]*$/.test(contents)) {
      throw new Error('format is base64 but contents is not base64 text');
    }
    return Buffer.from(contents.replace(/\s+/g, ''), 'base64');
  }
  if (contents === undefined || contents === null) return Buffer.alloc(0);
  if (typeof contents === 'string') return Buffer.from(contents, 'utf8');
  if (typeof contents === 'object') return Buffer.from(`${JSON.stringify(contents, null, 2)}\n`, 'utf8');
  return Buffer.from(String(contents), 'utf8');
}

async function existingMode(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch {
    return null;
  }
}

async function writeAtomically(path: string, data: Buffer, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // The library sets `mode` exactly (not filtered by the umask) before renaming the file in.
  await writeFileAtomic(path, data, { mode });
}

/**
 * Writes the top-level `files {}` entries when `agent.apply_files` is on: path with `~` and `$VARS`
 * expanded, contents (base64-decoded for `format: base64`), `overwrite: false` keeps an existing
 * file, `mode` sets permissions. Each file is written to a temporary name then renamed, so a reader
 * never sees half a file. One failing entry does not stop the others; see each result.
 */
export async function applyFilesSection(
  config: AgentConfig,
  options: { env?: Record<string, string | undefined>; homeDir?: string } = {},
): Promise<FileWriteResult[]> {
  if (!config.agent.applyFiles) return [];
  const context = { env: options.env ?? process.env, homeDir: options.homeDir ?? homedir() };
  const results: FileWriteResult[] = [];
  for (const [name, entry] of Object.entries(config.files)) {
    const path = expandPath(entry.path, context);
    try {
      const current = await existingMode(path);
      if (current !== null && !entry.overwrite) {
        results.push({ name, path, status: 'kept' });
        continue;
      }
      await writeAtomically(path, fileEntryBytes(entry), entry.mode ?? current ?? DEFAULT_NEW_FILE_MODE);
      results.push({ name, path, status: 'written' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({ name, path, status: 'failed', error: `files.${name}: ${message}` });
    }
  }
  return results;
}
