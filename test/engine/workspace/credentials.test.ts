// Credentials over a real git smart-HTTP server on 127.0.0.1 that requires Basic auth: git
// must get them through the askpass helper, and they must not show up anywhere else.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { prepareWorkspace, WorkspaceError, type WorkspaceOptions } from '../../../src-main/engine/workspace/index.js';
import { createGitArgvRecorder } from '../../helpers/git-fixtures.js';
import { useWorkspaceBed } from '../../helpers/workspace-bed.js';

const execFileAsync = promisify(execFile);
const USER = 'ci-bot';
const PASS = 'Tok3n-Very-Secret-42';

const bed = useWorkspaceBed('tray-agent-credentials-test-', { auth: { user: USER, pass: PASS } });
const options = (git: Partial<WorkspaceOptions['git']>, extra: Partial<WorkspaceOptions> = {}) => bed.options({ git, ...extra });

async function filesUnder(dir: string, name: string): Promise<string[]> {
  const { stdout } = await execFileAsync('find', [dir, '-name', name, '-type', 'f']);
  return stdout.split('\n').filter(Boolean);
}

describe('git credentials through GIT_ASKPASS over HTTP Basic auth', () => {
  it('clones with git_user/git_pass and the password reaches no argv, URL, config or log', async () => {
    const recorder = await createGitArgvRecorder(join(bed.scratch, 'recorder'), bed.fx.env);
    const env = { ...bed.fx.env, PATH: `${recorder.binDir}:${bed.fx.env.PATH}` };
    const o = options({ user: USER, pass: PASS }, { env });
    const before = bed.server.requests.length;
    const ws = await prepareWorkspace({ taskId: 'cred-task', repository: `${bed.server.url}/main.git`, branch: 'trunk' }, o);

    expect(ws.resolvedCommit).toBe(bed.fx.commits.trunkTip);
    // The submodule (relative URL, same host) came over authenticated HTTP as well.
    expect(await readFile(join(ws.repoDir, 'libs', 'sub', 'lib.txt'), 'utf8')).toBe('submodule content\n');
    const served = bed.server.requests.slice(before);
    expect(served.some((r) => r.status === 401)).toBe(true);
    expect(served.some((r) => r.user === USER && r.path.startsWith('/main.git'))).toBe(true);
    expect(served.some((r) => r.user === USER && r.path.startsWith('/sub.git'))).toBe(true);

    const invocations = await recorder.invocations();
    expect(invocations.length).toBeGreaterThan(3);
    const allArgs = invocations.flat();
    expect(allArgs.some((a) => a.includes(PASS))).toBe(false);
    expect(allArgs.filter((a) => a.startsWith('http')).every((a) => !a.includes('@'))).toBe(true);
    expect(allArgs).toContain(`${bed.server.url}/main.git`);

    for (const config of [...(await filesUnder(o.rootDir, 'config')), ...(await filesUnder(o.vcsCacheDir!, 'config'))]) {
      const text = await readFile(config, 'utf8');
      expect(text).not.toContain(PASS);
      expect(text).not.toContain(`${USER}@`);
    }
    expect(await bed.fx.git(['remote', 'get-url', 'origin'], ws.repoDir)).toBe(`${bed.server.url}/main.git`);
    expect(o.lines.join('\n')).not.toContain(PASS);
    expect(o.lines.join('\n')).toContain('GIT_ASKPASS to host 127.0.0.1 only');
    expect(await readFile(bed.fx.globalConfigPath, 'utf8')).not.toContain(PASS);

    // The helper: private folder and script (0700), no secret inside, gone after cleanup.
    const helper = ws.askPassEnv.GIT_ASKPASS!;
    expect(helper).toBeTruthy();
    const helperDir = join(helper, '..');
    expect((await stat(helperDir)).mode & 0o777).toBe(0o700);
    expect((await stat(helper)).mode & 0o777).toBe(0o700);
    expect(await readFile(helper, 'utf8')).not.toContain(PASS);
    expect(ws.askPassEnv.GIT_TERMINAL_PROMPT).toBe('0');

    // Later git use in the task's environment (pip git+https installs) reuses the same env.
    const reuse = await execFileAsync('git', ['ls-remote', `${bed.server.url}/sub.git`, 'HEAD'], { env: { ...bed.fx.env, ...ws.askPassEnv } });
    expect(reuse.stdout).toMatch(/^[0-9a-f]{40}\tHEAD/);

    await ws.cleanup();
    expect(existsSync(helperDir)).toBe(false);
  });

  it('moves credentials embedded in the repository URL out of it', async () => {
    const o = options({});
    const url = `http://${USER}:${PASS}@127.0.0.1:${bed.server.port}/main.git`;
    const ws = await prepareWorkspace({ taskId: 'url-creds', repository: url, commit: bed.fx.commits.pinned }, o);
    expect(ws.resolvedCommit).toBe(bed.fx.commits.pinned);
    expect(await bed.fx.git(['remote', 'get-url', 'origin'], ws.repoDir)).toBe(`${bed.server.url}/main.git`);
    expect(o.lines.join('\n')).not.toContain(PASS);
    await ws.cleanup();
  });

  it('offers nothing to a host other than git_host: the clone fails (401) without a prompt', async () => {
    const o = options({ user: USER, pass: PASS, host: 'git.example.com' });
    const error = await prepareWorkspace({ taskId: 'wrong-host', repository: `${bed.server.url}/main.git` }, o).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkspaceError);
    expect((error as WorkspaceError).reason).toBe('failed cloning repository');
    expect((error as WorkspaceError).message).toContain(`failed cloning repository ${bed.server.url}/main.git`);
    expect(o.lines.join('\n')).toContain('not offered');
  });

  it('the askpass helper itself answers empty for a host it is not bound to', async () => {
    const o = options({ user: USER, pass: PASS });
    // No repository (literal script): credentials are bound to git_host for pip's later use.
    const ws = await prepareWorkspace({ taskId: 'helper', repository: '', diff: 'print(1)\n' }, { ...o, git: { ...o.git, host: '127.0.0.1' } });
    const ask = (prompt: string) =>
      execFileAsync(ws.askPassEnv.GIT_ASKPASS!, [prompt], { env: { ...bed.fx.env, ...ws.askPassEnv } }).then((r) => r.stdout);
    expect(await ask(`Username for 'http://127.0.0.1:${bed.server.port}': `)).toBe(`${USER}\n`);
    expect(await ask(`Password for 'http://${USER}@127.0.0.1:${bed.server.port}': `)).toBe(`${PASS}\n`);
    expect(await ask("Password for 'https://ci-bot@github.com': ")).toBe('\n');
    expect(await ask("Username for 'https://127.0.0.1.evil.example': ")).toBe('\n');
    expect(await ask('Enter passphrase for key: ')).toBe('\n');
    await ws.cleanup();
  });

  it('fails fast and clearly without credentials, never asking an inherited askpass program', async () => {
    // A desktop session's askpass (here: one that would answer and leave a trace) must not be used.
    const inherited = join(bed.scratch, 'inherited-askpass.sh');
    const trace = join(bed.scratch, 'inherited-askpass-was-called');
    await writeFile(inherited, `#!/bin/sh\ntouch '${trace}'\necho ${PASS}\n`, { mode: 0o755 });
    const o = options({}, { env: { ...bed.fx.env, GIT_ASKPASS: inherited, SSH_ASKPASS: inherited } });
    const started = Date.now();
    const error = await prepareWorkspace({ taskId: 'no-creds', repository: `${bed.server.url}/main.git` }, o).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkspaceError);
    const message = (error as WorkspaceError).message;
    expect(message).toMatch(/Authentication failed|could not read Username|terminal prompts disabled/i);
    expect(message).toContain('set agent.git_user and agent.git_pass');
    expect(existsSync(trace)).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('strips the password from the error for a missing repository', async () => {
    const o = options({});
    const url = `http://${USER}:${PASS}@127.0.0.1:${bed.server.port}/missing.git`;
    const error = await prepareWorkspace({ taskId: 'missing', repository: url }, o).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkspaceError);
    const message = (error as WorkspaceError).message;
    expect(message).toContain(`failed cloning repository http://127.0.0.1:${bed.server.port}/missing.git`);
    expect(message).not.toContain(PASS);
    expect(o.lines.join('\n')).not.toContain(PASS);
  });
});
