// Pure parsing and rewriting of a task's repository URL: which URL git is given, which
// credentials (if any) the askpass helper may answer with, and how URLs look in logs.
// Nothing here touches the disk or spawns anything.
import { createHash } from 'node:crypto';
import type { GitAccessOptions } from './types.js';

export type ParsedRepoUrl =
  | { kind: 'http'; scheme: 'http' | 'https'; user: string | null; pass: string | null; host: string; port: string | null; path: string; query: string }
  | { kind: 'ssh'; user: string | null; host: string; port: string | null; path: string; scpLike: boolean }
  | { kind: 'other'; url: string };

/** Credentials the askpass helper answers with, and the host it answers for. */
export interface AskPassCredentials {
  user: string;
  pass: string;
  /** `hostname` or `hostname:port`; null = answer for any host (no repository host to bind to). */
  host: string | null;
  source: 'url' | 'config';
}

export interface RepoAccessPlan {
  /** The URL handed to git: never carries a password. */
  fetchUrl: string;
  credentials: AskPassCredentials | null;
  rewrite: 'none' | 'forced-ssh' | 'ssh-translated-to-https';
  /** Human-readable decisions, already free of secrets, for the task log. */
  notes: string[];
}

// scp-like syntax: [user@]host:path, where the part before ':' has no '/' (git's own rule),
// and a single letter before ':' is a Windows drive, not a host.
const SCP_LIKE = /^(?:([^@/:]+)@)?([^@/:]{2,}|\[[^\]]+\]):(?!\/\/)(.*)$/;

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function parseRepoUrl(raw: string): ParsedRepoUrl {
  const url = raw.trim();
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
  if (schemeMatch) {
    const scheme = schemeMatch[1]!.toLowerCase();
    if (scheme === 'http' || scheme === 'https' || scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git') {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return { kind: 'other', url };
      }
      const user = parsed.username ? decode(parsed.username) : null;
      const pass = parsed.password ? decode(parsed.password) : null;
      const host = parsed.hostname.toLowerCase();
      const port = parsed.port || null;
      if (scheme === 'http' || scheme === 'https') {
        return { kind: 'http', scheme, user, pass, host, port, path: parsed.pathname || '/', query: parsed.search };
      }
      return { kind: 'ssh', user, host, port, path: decode(parsed.pathname) || '/', scpLike: false };
    }
    return { kind: 'other', url };
  }
  const scp = SCP_LIKE.exec(url);
  if (scp) {
    return { kind: 'ssh', user: scp[1] ?? null, host: scp[2]!.toLowerCase(), port: null, path: scp[3]!, scpLike: true };
  }
  return { kind: 'other', url };
}

/** Formats a parsed URL back, leaving out any password (and, for http, any user). */
export function formatRepoUrl(url: ParsedRepoUrl): string {
  switch (url.kind) {
    case 'http':
      return `${url.scheme}://${url.host}${url.port ? `:${url.port}` : ''}${url.path}${url.query}`;
    case 'ssh': {
      const user = url.user ? `${url.user}@` : '';
      if (url.scpLike && !url.port) return `${user}${url.host}:${url.path}`;
      const path = url.path.startsWith('/') ? url.path : `/${url.path}`;
      return `ssh://${user}${url.host}${url.port ? `:${url.port}` : ''}${path}`;
    }
    case 'other':
      return redactUrlCredentials(url.url);
  }
}

/** The host part credentials are bound to: `host` or `host:port`. */
function hostOf(url: ParsedRepoUrl): { host: string; hostPort: string } | null {
  if (url.kind === 'other') return null;
  return { host: url.host, hostPort: url.port ? `${url.host}:${url.port}` : url.host };
}

/**
 * Whether `configuredHost` (agent.git_host) names this URL's host. A value with a port
 * (`git.example.com:8443`) must match host and port; a bare name matches the host on any port.
 */
export function gitHostMatches(configuredHost: string, url: ParsedRepoUrl): boolean {
  const own = hostOf(url);
  if (!own) return false;
  const wanted = configuredHost.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  const withPort = wanted.startsWith('[') ? wanted.includes(']:') : wanted.includes(':');
  return withPort ? wanted === own.hostPort : wanted === own.host;
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

/**
 * Decides the URL git is given and the credentials the askpass helper may hand out.
 * Order: credentials embedded in the URL are moved out of it (they are the task's own);
 * `force_git_ssh_protocol` wins over `translate_ssh` (never both); `git_host`, when set,
 * limits both rewriting and credentials to that host.
 */
export function planRepoAccess(repository: string, git: GitAccessOptions): RepoAccessPlan {
  const notes: string[] = [];
  const parsed = parseRepoUrl(repository);
  const gitUser = nonEmpty(git.user);
  const gitPass = nonEmpty(git.pass);
  const gitHost = nonEmpty(git.host);
  const hostAllowed = gitHost === null || gitHostMatches(gitHost, parsed);

  let urlCredentials: AskPassCredentials | null = null;
  if (parsed.kind === 'http' && parsed.user !== null) {
    urlCredentials = { user: parsed.user, pass: parsed.pass ?? '', host: hostOf(parsed)!.hostPort, source: 'url' };
    notes.push('credentials embedded in the repository URL are passed to git through the askpass helper, not the URL');
  }
  if (parsed.kind === 'ssh' && /^[a-z+]+:\/\/[^/@:]+:[^/@]+@/i.test(repository.trim())) {
    notes.push('a password in an ssh URL is ignored (ssh authenticates with keys)');
  }

  if (git.forceSshProtocol && hostAllowed) {
    if (parsed.kind === 'http') {
      const port = git.forceSshPort ? String(git.forceSshPort) : null;
      const user = nonEmpty(git.forceSshUser) ?? 'git';
      const fetchUrl = formatRepoUrl({ kind: 'ssh', user, host: parsed.host, port, path: parsed.path, scpLike: false });
      notes.push(`force_git_ssh_protocol: ${formatRepoUrl(parsed)} rewritten to ${fetchUrl}`);
      return { fetchUrl, credentials: null, rewrite: 'forced-ssh', notes };
    }
    if (parsed.kind === 'ssh') {
      const port = git.forceSshPort ? String(git.forceSshPort) : parsed.port;
      const user = parsed.user ?? nonEmpty(git.forceSshUser) ?? 'git';
      const fetchUrl = formatRepoUrl({ ...parsed, user, port });
      if (fetchUrl !== repository.trim()) notes.push(`force_git_ssh_protocol: ${formatRepoUrl(parsed)} rewritten to ${fetchUrl}`);
      return { fetchUrl, credentials: null, rewrite: fetchUrl === repository.trim() ? 'none' : 'forced-ssh', notes };
    }
  }

  const configured = gitUser !== null && gitPass !== null;
  if (!git.forceSshProtocol && git.translateSsh && configured && hostAllowed && parsed.kind === 'ssh') {
    const path = parsed.path.startsWith('/') ? parsed.path : `/${parsed.path}`;
    const https: ParsedRepoUrl = { kind: 'http', scheme: 'https', user: null, pass: null, host: parsed.host, port: null, path, query: '' };
    const fetchUrl = formatRepoUrl(https);
    notes.push(`translate_ssh: ${formatRepoUrl(parsed)} rewritten to ${fetchUrl} because git_user/git_pass are set`);
    return {
      fetchUrl,
      credentials: { user: gitUser, pass: gitPass, host: gitHost ?? parsed.host, source: 'config' },
      rewrite: 'ssh-translated-to-https',
      notes,
    };
  }

  const fetchUrl = formatRepoUrl(parsed);
  if (urlCredentials) return { fetchUrl, credentials: urlCredentials, rewrite: 'none', notes };
  if (configured && hostAllowed) {
    // Without git_host the credentials go only to the repository's own host (submodules and
    // pip git+ installs on that host included), so a token never reaches a third-party host.
    const own = hostOf(parsed);
    return { fetchUrl, credentials: { user: gitUser, pass: gitPass, host: gitHost ?? own?.host ?? null, source: 'config' }, rewrite: 'none', notes };
  }
  if (configured && !hostAllowed) notes.push(`git_user/git_pass not offered: repository host is not git_host (${gitHost})`);
  return { fetchUrl, credentials: null, rewrite: 'none', notes };
}

/**
 * Credentials for when there is no repository at all (a literal script): pip git+ installs
 * still need them, bound to git_host when set.
 */
export function credentialsWithoutRepository(git: GitAccessOptions): AskPassCredentials | null {
  const user = nonEmpty(git.user);
  const pass = nonEmpty(git.pass);
  if (user === null || pass === null) return null;
  return { user, pass, host: nonEmpty(git.host), source: 'config' };
}

/** Removes credentials from every URL in a text (log lines, git's stderr). */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^\s/@'"<>]+)@/g, (whole, scheme: string, userinfo: string) =>
    userinfo.includes(':') || /^https?:\/\//i.test(scheme) ? scheme : whole,
  );
}

/** A log scrubber: URL credentials plus every known secret value. */
export function createScrubber(secrets: Array<string | null | undefined>): (text: string) => string {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 3))].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = redactUrlCredentials(text);
    for (const value of values) out = out.split(value).join('***');
    return out;
  };
}

/** The cache identity of a repository: scheme and host lower-cased, no credentials, no trailing `.git` or `/`. */
export function normalizeRepoUrl(fetchUrl: string): string {
  const parsed = parseRepoUrl(fetchUrl);
  const trimPath = (p: string) => p.replace(/\/+$/, '').replace(/\.git$/, '');
  switch (parsed.kind) {
    case 'http':
      return `${parsed.scheme}://${parsed.host}${parsed.port ? `:${parsed.port}` : ''}${trimPath(parsed.path)}${parsed.query}`;
    case 'ssh': {
      const path = parsed.path.startsWith('/') || !parsed.scpLike ? parsed.path : `/${parsed.path}`;
      return `ssh://${parsed.user ? `${parsed.user}@` : ''}${parsed.host}${parsed.port ? `:${parsed.port}` : ''}${trimPath(path)}`;
    }
    case 'other':
      return trimPath(redactUrlCredentials(parsed.url));
  }
}

export function repoCacheKey(fetchUrl: string): string {
  return createHash('sha256').update(normalizeRepoUrl(fetchUrl)).digest('hex').slice(0, 20);
}

/** A folder-safe name for the repository (last path segment, no `.git`). */
export function repoNameFromUrl(fetchUrl: string): string {
  const parsed = parseRepoUrl(fetchUrl);
  const path = parsed.kind === 'other' ? parsed.url : parsed.path;
  const last = path.replace(/[?#].*$/, '').replace(/[/\\]+$/, '').split(/[/\\:]/).pop() ?? '';
  const name = last.replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return name || 'repository';
}
