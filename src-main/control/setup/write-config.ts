// Writes what the wizard learned into clearml.conf: a new file (mode 0600) when there is none,
// else only the keys the file lacks, appended below everything that is there. Nothing already
// set is ever changed, and the file is replaced in one rename, so it is never half-written.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { readHoconDocument } from '../../engine/config/hocon/index.js';
import { getPath, type ConfigTree, type ConfigValue } from '../../engine/config/tree.js';
import { renderApiSection } from '../../engine/config/api-section.js';

/** Everything the wizard may write; optional parts are left out when empty. */
export interface WizardSettings {
  readonly apiServer: string;
  readonly webServer: string | null;
  readonly filesServer: string | null;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly gitUser?: string;
  readonly gitPass?: string;
  readonly extraIndexUrl?: string;
}

export interface ConfigWritePlan {
  /** The whole new text of the file, or null when nothing needs adding. */
  readonly text: string | null;
  readonly created: boolean;
  /** Dotted keys written. */
  readonly added: readonly string[];
  /** Dotted keys the file already sets, left as they are. */
  readonly kept: readonly string[];
  /** Set when the file already points at another server: its credentials were left alone. */
  readonly otherServer: string | null;
}

export class ConfigWriteError extends Error {
  override readonly name = 'ConfigWriteError';
}

type Entry = { path: string[]; value: string | string[] };

function wantedEntries(settings: WizardSettings): Entry[] {
  const entries: Entry[] = [{ path: ['api', 'api_server'], value: settings.apiServer }];
  if (settings.webServer) entries.push({ path: ['api', 'web_server'], value: settings.webServer });
  if (settings.filesServer) entries.push({ path: ['api', 'files_server'], value: settings.filesServer });
  entries.push({ path: ['api', 'credentials', 'access_key'], value: settings.accessKey });
  entries.push({ path: ['api', 'credentials', 'secret_key'], value: settings.secretKey });
  if (settings.gitUser?.trim()) {
    entries.push({ path: ['agent', 'git_user'], value: settings.gitUser.trim() });
    if (settings.gitPass) entries.push({ path: ['agent', 'git_pass'], value: settings.gitPass });
  }
  if (settings.extraIndexUrl?.trim()) {
    const urls = settings.extraIndexUrl.split(/[\s,]+/).filter(Boolean);
    entries.push({ path: ['agent', 'package_manager', 'extra_index_url'], value: urls });
  }
  return entries;
}

function isSet(value: ConfigValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function hocon(value: string | string[]): string {
  return Array.isArray(value) ? `[${value.map((item) => JSON.stringify(item)).join(', ')}]` : JSON.stringify(value);
}

const sameServer = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

function newFileText(settings: WizardSettings, entries: Entry[], now: Date): string {
  const { apiServer, webServer, filesServer, accessKey, secretKey } = settings;
  const lines = [
    `# ClearML configuration, written by tray-agent init on ${now.toISOString()}.`,
    '# Shared with clearml-agent and the ClearML SDK.',
    renderApiSection({ apiServer, webServer, filesServer, accessKey, secretKey }).trimEnd(),
  ];
  const agent = entries.filter((entry) => entry.path[0] === 'agent');
  if (agent.length > 0) {
    lines.push('agent {');
    for (const entry of agent) lines.push(`    ${entry.path.slice(1).join('.')}: ${hocon(entry.value)}`);
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

function parseExisting(text: string, file: string): ConfigTree {
  try {
    return readHoconDocument(text, {
      file,
      env: process.env,
      readFile: (path) => {
        try {
          return readFileSync(path, 'utf8');
        } catch {
          return null;
        }
      },
      describe: (origin) => (origin.kind === 'file' ? `${origin.file} line ${origin.line}` : file),
    }).tree;
  } catch (error) {
    throw new ConfigWriteError(
      `cannot add to ${file}: it does not parse (${error instanceof Error ? error.message : String(error)}); fix it or move it away, then run the setup again`,
    );
  }
}

/** What an existing clearml.conf already says about the server; throws ConfigWriteError when it does not parse. */
export function existingServerFacts(text: string, file: string): { apiServer: string | null; hasCredentials: boolean } {
  const tree = parseExisting(text, file);
  const server = getPath(tree, ['api', 'api_server']) ?? getPath(tree, ['api', 'host']);
  return {
    apiServer: typeof server === 'string' && server.trim() !== '' ? server.trim() : null,
    hasCredentials: isSet(getPath(tree, ['api', 'credentials', 'access_key'])) || isSet(getPath(tree, ['api', 'credentials', 'secret_key'])),
  };
}

/** What writing `settings` into a file whose text is `existing` (null = no file) would do. Pure. */
export function planConfigWrite(existing: string | null, settings: WizardSettings, file: string, now: Date = new Date()): ConfigWritePlan {
  const entries = wantedEntries(settings);
  if (existing === null || existing.trim() === '') {
    return { text: newFileText(settings, entries, now), created: true, added: entries.map((e) => e.path.join('.')), kept: [], otherServer: null };
  }
  const tree = parseExisting(existing, file);
  const existingServer = getPath(tree, ['api', 'api_server']) ?? getPath(tree, ['api', 'host']);
  const otherServer = typeof existingServer === 'string' && existingServer.trim() !== '' && !sameServer(existingServer, settings.apiServer) ? existingServer : null;
  // A key pair is one thing: never pair a new secret with an old access key.
  const hasCredentials = isSet(getPath(tree, ['api', 'credentials', 'access_key'])) || isSet(getPath(tree, ['api', 'credentials', 'secret_key']));
  // Same for git: a token added under someone else's git_user would be sent as theirs.
  const hasGit = isSet(getPath(tree, ['agent', 'git_user'])) || isSet(getPath(tree, ['agent', 'git_pass']));
  const added: Entry[] = [];
  const kept: string[] = [];
  for (const entry of entries) {
    const dotted = entry.path.join('.');
    const isApi = entry.path[0] === 'api';
    const isCredential = entry.path[1] === 'credentials';
    const isGit = entry.path[1] === 'git_user' || entry.path[1] === 'git_pass';
    const present = isSet(getPath(tree, entry.path)) || (isCredential && hasCredentials) || (isGit && hasGit) || (isApi && otherServer !== null);
    if (present) kept.push(dotted);
    else added.push(entry);
  }
  if (added.length === 0) return { text: null, created: false, added: [], kept, otherServer };
  const block = [
    '',
    `# Added by tray-agent init on ${now.toISOString()}: only what this file did not set; nothing above was changed.`,
    ...added.map((entry) => `${entry.path.join('.')}: ${hocon(entry.value)}`),
    '',
  ].join('\n');
  const text = `${existing.endsWith('\n') ? existing : `${existing}\n`}${block}`;
  return { text, created: false, added: added.map((e) => e.path.join('.')), kept, otherServer };
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigWriteError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check its permissions`);
  }
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/** Writes `text` to `path` with mode 0600 through a temp file and one rename. */
async function replaceFile(path: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, text, { mode: 0o600 });
  } catch (error) {
    throw new ConfigWriteError(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the folder's permissions`);
  }
}

/** Plans and applies the write; the file holds secrets, so it ends up 0600 whenever it is written. */
export async function writeWizardSettings(path: string, settings: WizardSettings): Promise<ConfigWritePlan> {
  const target = await resolveTarget(path);
  const plan = planConfigWrite(await readIfExists(target), settings, path);
  if (plan.text !== null) await replaceFile(target, plan.text);
  return plan;
}
