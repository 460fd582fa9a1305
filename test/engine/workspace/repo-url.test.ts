import { describe, expect, it } from 'vitest';
import {
  createScrubber,
  gitHostMatches,
  normalizeRepoUrl,
  parseRepoUrl,
  planRepoAccess,
  redactUrlCredentials,
  repoCacheKey,
  repoNameFromUrl,
} from '../../../src-main/engine/workspace/repo-url.js';
import type { GitAccessOptions } from '../../../src-main/engine/workspace/types.js';

const plain: GitAccessOptions = { forceSshProtocol: false, forceSshUser: 'git', translateSsh: true };
const withCreds: GitAccessOptions = { ...plain, user: 'bot', pass: 'tok3n-secret' };

describe('planRepoAccess: URL rewrite table', () => {
  const table: Array<{ name: string; url: string; git: GitAccessOptions; fetchUrl: string; creds: { user: string; host: string | null } | null; rewrite: string }> = [
    { name: 'https unchanged without credentials', url: 'https://github.com/org/repo.git', git: plain, fetchUrl: 'https://github.com/org/repo.git', creds: null, rewrite: 'none' },
    { name: 'https + configured credentials bound to the repo host', url: 'https://github.com/org/repo.git', git: withCreds, fetchUrl: 'https://github.com/org/repo.git', creds: { user: 'bot', host: 'github.com' }, rewrite: 'none' },
    { name: 'credentials in the URL move to askpass', url: 'https://alice:pw123@git.example.com:8443/team/x.git', git: plain, fetchUrl: 'https://git.example.com:8443/team/x.git', creds: { user: 'alice', host: 'git.example.com:8443' }, rewrite: 'none' },
    { name: 'token-as-user in the URL moves to askpass', url: 'https://ghp_abcdef@github.com/org/repo', git: plain, fetchUrl: 'https://github.com/org/repo', creds: { user: 'ghp_abcdef', host: 'github.com' }, rewrite: 'none' },
    { name: 'scp-like ssh kept without credentials', url: 'git@github.com:org/repo.git', git: plain, fetchUrl: 'git@github.com:org/repo.git', creds: null, rewrite: 'none' },
    { name: 'translate_ssh: scp-like → https with credentials', url: 'git@github.com:org/repo.git', git: withCreds, fetchUrl: 'https://github.com/org/repo.git', creds: { user: 'bot', host: 'github.com' }, rewrite: 'ssh-translated-to-https' },
    { name: 'translate_ssh: ssh:// with port → https without the ssh port', url: 'ssh://git@gitlab.local:2222/g/p.git', git: withCreds, fetchUrl: 'https://gitlab.local/g/p.git', creds: { user: 'bot', host: 'gitlab.local' }, rewrite: 'ssh-translated-to-https' },
    // The credentials still serve https submodules and pip git+https installs on that host.
    { name: 'translate_ssh off keeps ssh', url: 'git@github.com:org/repo.git', git: { ...withCreds, translateSsh: false }, fetchUrl: 'git@github.com:org/repo.git', creds: { user: 'bot', host: 'github.com' }, rewrite: 'none' },
    { name: 'force ssh: https → ssh://git@host/path', url: 'https://github.com/org/repo.git', git: { ...plain, forceSshProtocol: true }, fetchUrl: 'ssh://git@github.com/org/repo.git', creds: null, rewrite: 'forced-ssh' },
    { name: 'force ssh with port and user', url: 'https://git.corp:8443/org/repo.git', git: { ...plain, forceSshProtocol: true, forceSshPort: 2222, forceSshUser: 'gitlab' }, fetchUrl: 'ssh://gitlab@git.corp:2222/org/repo.git', creds: null, rewrite: 'forced-ssh' },
    { name: 'force ssh wins over credentials (never both)', url: 'https://github.com/org/repo.git', git: { ...withCreds, forceSshProtocol: true }, fetchUrl: 'ssh://git@github.com/org/repo.git', creds: null, rewrite: 'forced-ssh' },
    { name: 'force ssh re-writes the port of an scp-like URL', url: 'git@git.corp:org/repo.git', git: { ...plain, forceSshProtocol: true, forceSshPort: 2200 }, fetchUrl: 'ssh://git@git.corp:2200/org/repo.git', creds: null, rewrite: 'forced-ssh' },
    { name: 'force ssh limited to git_host leaves other hosts alone', url: 'https://github.com/org/repo.git', git: { ...plain, forceSshProtocol: true, host: 'git.corp' }, fetchUrl: 'https://github.com/org/repo.git', creds: null, rewrite: 'none' },
    { name: 'git_host mismatch: no credentials', url: 'https://github.com/org/repo.git', git: { ...withCreds, host: 'git.corp' }, fetchUrl: 'https://github.com/org/repo.git', creds: null, rewrite: 'none' },
    { name: 'git_host match: credentials bound to git_host', url: 'https://GIT.corp/org/repo.git', git: { ...withCreds, host: 'git.corp' }, fetchUrl: 'https://git.corp/org/repo.git', creds: { user: 'bot', host: 'git.corp' }, rewrite: 'none' },
    { name: 'git_host with port must match the port', url: 'https://git.corp:8443/r.git', git: { ...withCreds, host: 'git.corp:9000' }, fetchUrl: 'https://git.corp:8443/r.git', creds: null, rewrite: 'none' },
    { name: 'file URL untouched', url: 'file:///srv/git/repo.git', git: withCreds, fetchUrl: 'file:///srv/git/repo.git', creds: { user: 'bot', host: null }, rewrite: 'none' },
  ];
  for (const row of table) {
    it(row.name, () => {
      const plan = planRepoAccess(row.url, row.git);
      expect(plan.fetchUrl).toBe(row.fetchUrl);
      expect(plan.rewrite).toBe(row.rewrite);
      expect(plan.credentials ? { user: plan.credentials.user, host: plan.credentials.host } : null).toEqual(row.creds);
      expect(plan.fetchUrl).not.toContain('tok3n-secret');
      expect(plan.fetchUrl).not.toContain('pw123');
      expect(plan.notes.join('\n')).not.toMatch(/tok3n-secret|pw123/);
    });
  }

  it('keeps the embedded password for askpass, not in the URL', () => {
    const plan = planRepoAccess('https://alice:p%40ss@host.example/r.git', plain);
    expect(plan.credentials).toMatchObject({ user: 'alice', pass: 'p@ss', source: 'url' });
    expect(plan.fetchUrl).toBe('https://host.example/r.git');
  });
});

describe('parseRepoUrl', () => {
  it('recognises scp-like, ssh, http and local forms', () => {
    expect(parseRepoUrl('git@h.com:a/b.git')).toMatchObject({ kind: 'ssh', user: 'git', host: 'h.com', path: 'a/b.git', scpLike: true });
    expect(parseRepoUrl('ssh://u@h.com:22/a/b')).toMatchObject({ kind: 'ssh', user: 'u', host: 'h.com', port: '22', path: '/a/b' });
    expect(parseRepoUrl('https://h.com/a')).toMatchObject({ kind: 'http', scheme: 'https', host: 'h.com', path: '/a' });
    expect(parseRepoUrl('/srv/repo.git')).toEqual({ kind: 'other', url: '/srv/repo.git' });
    expect(parseRepoUrl('C:/repos/x')).toEqual({ kind: 'other', url: 'C:/repos/x' });
    expect(parseRepoUrl('./rel/repo')).toEqual({ kind: 'other', url: './rel/repo' });
  });

  it('matches git_host by name, or by name and port', () => {
    const url = parseRepoUrl('https://git.corp:8443/x');
    expect(gitHostMatches('git.corp', url)).toBe(true);
    expect(gitHostMatches('GIT.CORP:8443', url)).toBe(true);
    expect(gitHostMatches('git.corp:443', url)).toBe(false);
    expect(gitHostMatches('https://git.corp', url)).toBe(true);
    expect(gitHostMatches('other', url)).toBe(false);
  });
});

describe('redaction', () => {
  it('strips user:pass@ from URLs anywhere in a text, and any userinfo from http URLs', () => {
    expect(redactUrlCredentials("fatal: unable to access 'https://bob:hunter22@h.com/r.git/': 403")).toBe("fatal: unable to access 'https://h.com/r.git/': 403");
    expect(redactUrlCredentials('see http://tokenonly@h.com/x and ssh://git@h.com/y')).toBe('see http://h.com/x and ssh://git@h.com/y');
    expect(redactUrlCredentials('ssh://u:pw@h/x')).toBe('ssh://h/x');
    expect(redactUrlCredentials('no urls here: a@b')).toBe('no urls here: a@b');
  });

  it('scrubs known secret values too', () => {
    const scrub = createScrubber(['s3cr3t-value', null, undefined, 'ab']);
    expect(scrub('token s3cr3t-value in https://u:s3cr3t-value@h/x')).toBe('token *** in https://h/x');
    expect(scrub('ab stays (too short to scrub safely)')).toBe('ab stays (too short to scrub safely)');
  });
});

describe('cache identity', () => {
  it('normalizes case of host, .git suffix, trailing slash and credentials', () => {
    expect(normalizeRepoUrl('https://GitHub.com/Org/Repo.git/')).toBe('https://github.com/Org/Repo');
    expect(repoCacheKey('https://github.com/Org/Repo.git')).toBe(repoCacheKey('https://github.com/Org/Repo'));
    expect(repoCacheKey('https://github.com/Org/Repo')).not.toBe(repoCacheKey('https://github.com/Org/Other'));
    expect(normalizeRepoUrl('git@h.com:a/b.git')).toBe('ssh://git@h.com/a/b');
    expect(repoCacheKey('https://github.com/a/b')).toMatch(/^[0-9a-f]{20}$/);
  });

  it('derives a folder-safe repository name', () => {
    expect(repoNameFromUrl('https://h.com/org/my-repo.git')).toBe('my-repo');
    expect(repoNameFromUrl('git@h.com:org/x y.git')).toBe('x_y');
    expect(repoNameFromUrl('file:///srv/git/main.git/')).toBe('main');
    expect(repoNameFromUrl('https://h.com/')).toBe('repository');
  });
});
