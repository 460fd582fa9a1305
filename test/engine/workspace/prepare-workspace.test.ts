// prepareWorkspace against real local repositories (file:// URLs; see git-fixtures.ts).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { prepareWorkspace, WorkspaceError, type WorkspaceOptions, type WorkspaceRequest } from '../../../src-main/engine/workspace/index.js';
import { startGitHttpServer } from '../../helpers/git-fixtures.js';
import { useWorkspaceBed } from '../../helpers/workspace-bed.js';
import { rejectionOf } from '../../helpers/rejection.js';

const execFileAsync = promisify(execFile);
const bed = useWorkspaceBed('tray-agent-workspace-test-');
const options = (overrides: Partial<WorkspaceOptions> = {}) => bed.options(overrides);

function request(overrides: Partial<WorkspaceRequest> = {}): WorkspaceRequest {
  return { taskId: 'task0001', repository: bed.fx.originUrl, entryPoint: 'train.py', workingDir: '.', ...overrides };
}

async function headOf(dir: string): Promise<{ commit: string; branch: string }> {
  return {
    commit: await bed.fx.git(['rev-parse', 'HEAD'], dir),
    branch: await bed.fx.git(['rev-parse', '--abbrev-ref', 'HEAD'], dir),
  };
}

/** Command lines of live processes that contain `needle` (Linux /proc). */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(cmdline.split('\0').join(' '));
  }
  return found;
}

describe('checkout order: commit → tag → branch → remote default', () => {
  it("checks out the remote's default branch (trunk, not main/master) with submodules", async () => {
    const ws = await prepareWorkspace(request(), options());
    expect(ws.resolvedCommit).toBe(bed.fx.commits.trunkTip);
    expect(await headOf(ws.repoDir)).toEqual({ commit: bed.fx.commits.trunkTip, branch: 'trunk' });
    expect(await readFile(join(ws.repoDir, 'libs', 'sub', 'lib.txt'), 'utf8')).toBe('submodule content\n');
    expect(ws.workingDir).toBe(ws.repoDir);
    expect(ws.entryPoint).toBe('train.py');
    expect(ws.literalScript).toBe(false);
    expect(ws.repoDir).toBe(join(ws.repoDir, '..', 'main'));
    // The checkout's origin is the real remote, not the cache.
    expect(await bed.fx.git(['remote', 'get-url', 'origin'], ws.repoDir)).toBe(bed.fx.originUrl);
    await ws.cleanup();
  });

  it('checks out a branch as a local branch at its tip', async () => {
    const ws = await prepareWorkspace(request({ branch: 'feature' }), options());
    expect(await headOf(ws.repoDir)).toEqual({ commit: bed.fx.commits.featureTip, branch: 'feature' });
    expect(existsSync(join(ws.repoDir, 'feature.txt'))).toBe(true);
    expect(ws.resolvedCommit).toBe(bed.fx.commits.featureTip);
  });

  it('accepts a branch stored with a remote prefix', async () => {
    const ws = await prepareWorkspace(request({ branch: 'origin/feature' }), options());
    expect(ws.resolvedCommit).toBe(bed.fx.commits.featureTip);
  });

  it('checks out an (annotated) tag detached, ahead of the branch', async () => {
    const ws = await prepareWorkspace(request({ tag: 'v1.0', branch: 'feature' }), options());
    expect(await headOf(ws.repoDir)).toEqual({ commit: bed.fx.commits.tagged, branch: 'HEAD' });
    expect(existsSync(join(ws.repoDir, 'libs', 'sub'))).toBe(false);
  });

  it('checks out a pinned commit ahead of tag and branch', async () => {
    const ws = await prepareWorkspace(request({ commit: bed.fx.commits.pinned, tag: 'v1.0', branch: 'feature' }), options());
    expect(await headOf(ws.repoDir)).toEqual({ commit: bed.fx.commits.pinned, branch: 'HEAD' });
    expect(ws.resolvedCommit).toBe(bed.fx.commits.pinned);
  });

  it('resolves an abbreviated commit to the full id', async () => {
    const ws = await prepareWorkspace(request({ commit: bed.fx.commits.pinned.slice(0, 10) }), options());
    expect(ws.resolvedCommit).toBe(bed.fx.commits.pinned);
  });

  it('works without a vcs cache too', async () => {
    const ws = await prepareWorkspace(request({ branch: 'feature' }), options({ vcsCacheDir: null }));
    expect(ws.resolvedCommit).toBe(bed.fx.commits.featureTip);
    expect(await bed.fx.git(['remote', 'get-url', 'origin'], ws.repoDir)).toBe(bed.fx.originUrl);
  });

  it('fails clearly on a commit the remote does not have', async () => {
    const error = await rejectionOf(prepareWorkspace(request({ commit: 'deadbeef'.repeat(5) }), options()), WorkspaceError);
    expect(error.reason).toBe('revision not found');
    expect(error.message).toContain(`commit ${'deadbeef'.repeat(5)} not found in ${bed.fx.originUrl}`);
    expect(error.message).toContain('push the commit');
  });

  it('fails clearly on a branch the remote does not have', async () => {
    const error = await rejectionOf(prepareWorkspace(request({ branch: 'no-such-branch' }), options()), WorkspaceError);
    expect(error.reason).toBe('revision not found');
    expect(error.message).toContain("branch no-such-branch not found");
  });

  it('refuses a branch name that could be read as a git option', async () => {
    const error = await rejectionOf(prepareWorkspace(request({ branch: '--upload-pack=touch /tmp/x' }), options()), WorkspaceError);
    expect(error.reason).toBe('invalid workspace request');
    expect(error.message).toContain('script.branch');
  });

  it('fails clearly on a missing repository, naming the URL', async () => {
    const missing = `${bed.fx.originUrl.replace(/main\.git$/, '')}missing.git`;
    const error = await rejectionOf(prepareWorkspace(request({ repository: missing }), options()), WorkspaceError);
    expect(error.reason).toBe('failed cloning repository');
    expect(error.message).toContain(`failed cloning repository ${missing}`);
    expect(error.message).toMatch(/does not appear to be a git repository|not found/i);
  });

  it('refuses a working dir outside the repository and names a missing one', async () => {
    const outside = await rejectionOf(prepareWorkspace(request({ workingDir: '../../etc' }), options()), WorkspaceError);
    expect(outside.reason).toBe('invalid workspace request');
    const missing = await rejectionOf(prepareWorkspace(request({ workingDir: 'no/such/dir' }), options()), WorkspaceError);
    expect(missing.message).toContain("script.working_dir 'no/such/dir' does not exist");
  });

  it('returns the working dir inside the checkout', async () => {
    const ws = await prepareWorkspace(request({ workingDir: 'src', entryPoint: 'run.py' }), options());
    expect(ws.workingDir).toBe(join(ws.repoDir, 'src'));
  });
});

describe('uncommitted diff and literal scripts', () => {
  it('applies the diff on the commit it was taken on', async () => {
    const ws = await prepareWorkspace(request({ commit: bed.fx.commits.pinned, diff: bed.fx.diff }), options());
    expect(await readFile(join(ws.repoDir, 'train.py'), 'utf8')).toContain('line 2 (uncommitted change)');
    expect(ws.literalScript).toBe(false);
    // The index stays at the commit: the change is an uncommitted one, as on the developer's machine.
    expect(await bed.fx.git(['diff', '--name-only'], ws.repoDir)).toBe('train.py');
    expect(await bed.fx.git(['diff', '--cached', '--name-only'], ws.repoDir)).toBe('');
  });

  it('falls back to a clean three-way merge when the branch moved since the diff', async () => {
    const o = options();
    const ws = await prepareWorkspace(request({ diff: bed.fx.diff }), o);
    const train = await readFile(join(ws.repoDir, 'train.py'), 'utf8');
    expect(train).toContain('line 2 (uncommitted change)');
    expect(train).toContain('line 4 (changed on trunk)');
    expect(o.lines.join('\n')).toContain('three-way merge');
    expect(await bed.fx.git(['diff', '--name-only'], ws.repoDir)).toBe('train.py');
    expect(await bed.fx.git(['diff', '--cached', '--name-only'], ws.repoDir)).toBe('');
  });

  it('fails with git\'s own message when the diff does not apply', async () => {
    const error = await rejectionOf(prepareWorkspace(request({ diff: bed.fx.badDiff }), options()), WorkspaceError);
    expect(error.reason).toBe('failed applying git diff');
    expect(error.message).toMatch(/patch failed|does not apply/);
    expect(error.message).toContain('train.py');
  });

  it('writes a literal script as the entry point inside the checkout', async () => {
    const body = 'print("hello from a literal script")\n';
    const ws = await prepareWorkspace(request({ diff: body, entryPoint: 'notebook_task.py', workingDir: 'src' }), options());
    expect(ws.literalScript).toBe(true);
    expect(ws.entryPoint).toBe('notebook_task.py');
    expect(await readFile(join(ws.repoDir, 'src', 'notebook_task.py'), 'utf8')).toBe(body);
  });

  it('keeps a repository file of the same name over the literal script', async () => {
    const o = options();
    const ws = await prepareWorkspace(request({ diff: 'print("ignored")\n', entryPoint: 'train.py' }), o);
    expect(await readFile(join(ws.repoDir, 'train.py'), 'utf8')).toContain('line 1');
    expect(o.lines.join('\n')).toContain('already exists in the repository');
  });

  it('runs a literal script without any repository in a fresh folder (default name script.py)', async () => {
    const o = options();
    await prepareWorkspace(request({ repository: '', diff: 'print(1)\n', entryPoint: '' }), o);
    // A second prepare into the same root starts fresh.
    await writeFile(join(o.rootDir, 'code', 'leftover.txt'), 'x');
    const ws = await prepareWorkspace(request({ repository: null, diff: 'print(2)\n', entryPoint: '' }), o);
    expect(ws.resolvedCommit).toBeNull();
    expect(ws.literalScript).toBe(true);
    expect(ws.entryPoint).toBe('script.py');
    expect(ws.repoDir).toBe(join(o.rootDir, 'code'));
    expect(await readdir(ws.repoDir)).toEqual(['script.py']);
    expect(await readFile(join(ws.workingDir, 'script.py'), 'utf8')).toBe('print(2)\n');
    const run = await execFileAsync('python3', [join(ws.workingDir, ws.entryPoint)]);
    expect(run.stdout).toBe('2\n');
  });

  it('keeps a -m entry point and writes the body beside it as script.py', async () => {
    const o = options();
    const ws = await prepareWorkspace(request({ repository: '', diff: 'print(3)\n', entryPoint: '-m tools.run' }), o);
    expect(ws.entryPoint).toBe('-m tools.run');
    expect(await readFile(join(ws.workingDir, 'script.py'), 'utf8')).toBe('print(3)\n');
    expect(o.lines.join('\n')).toContain("entry point '-m tools.run' names no file");
  });

  it('treats a script that merely starts with the word diff as a script', async () => {
    const ws = await prepareWorkspace(request({ repository: '', diff: 'diff = 3\nprint(diff)\n', entryPoint: 'calc.py' }), options());
    expect(ws.literalScript).toBe(true);
    expect(await readFile(join(ws.workingDir, 'calc.py'), 'utf8')).toBe('diff = 3\nprint(diff)\n');
  });

  it('rejects a patch without a repository', async () => {
    const error = await rejectionOf(prepareWorkspace(request({ repository: '', diff: bed.fx.diff }), options()), WorkspaceError);
    expect(error.reason).toBe('failed applying git diff');
    expect(error.message).toContain('no repository');
  });

  it('without repository and script: an empty folder and a warning', async () => {
    const o = options();
    const ws = await prepareWorkspace(request({ repository: '', diff: '' }), o);
    expect(await readdir(ws.workingDir)).toEqual([]);
    expect(o.lines.join('\n')).toContain('no repository and no script');
  });
});

describe('never touches the user\'s git configuration', () => {
  it('leaves the global config file as it was', async () => {
    const before = await readFile(bed.fx.globalConfigPath, 'utf8');
    await prepareWorkspace(request({ diff: bed.fx.diff, commit: bed.fx.commits.pinned }), options());
    expect(await readFile(bed.fx.globalConfigPath, 'utf8')).toBe(before);
  });
});

describe('cancellation', () => {
  it('stops a slow clone and reports cancelled', async () => {
    const server = await startGitHttpServer({ projectRoot: bed.fx.projectRoot, env: bed.fx.env, delayMs: 5000 });
    try {
      const controller = new AbortController();
      const started = Date.now();
      const pending = prepareWorkspace(request({ repository: `${server.url}/main.git` }), options({ signal: controller.signal }));
      setTimeout(() => controller.abort(), 500);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await processesMentioning(server.url)).not.toEqual([]);
      const error = await rejectionOf(pending, WorkspaceError);
      expect(error.reason).toBe('cancelled');
      expect(Date.now() - started).toBeLessThan(4000);
      // git and the helpers it forked (git-remote-http) are all gone.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await processesMentioning(server.url)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('does nothing when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const o = options({ signal: controller.signal });
    const error = await rejectionOf(prepareWorkspace(request(), o), WorkspaceError);
    expect(error.reason).toBe('cancelled');
    expect(existsSync(o.rootDir)).toBe(false);
  });
});
