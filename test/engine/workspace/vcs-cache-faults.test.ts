// The vcs cache when something is wrong: a task with a wrong password in its repository URL
// must not cost the other tasks their shared cache entry (issue 12 item 9), and a cache folder
// the agent cannot write must cost the task its speed, never the task itself (issue 12 item 4).
// Real git over a real smart-HTTP server on 127.0.0.1 that requires Basic auth.
import { existsSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareWorkspace, WorkspaceError, type WorkspaceOptions } from '../../../src-main/engine/workspace/index.js';
import { cacheEntryPaths } from '../../../src-main/engine/workspace/vcs-cache.js';
import { useWorkspaceBed } from '../../helpers/workspace-bed.js';
import { rejectionOf } from '../../helpers/rejection.js';

const USER = 'ci-bot';
const PASS = 'Right-Token-1234';
const bed = useWorkspaceBed('tray-agent-vcs-faults-', { auth: { user: USER, pass: PASS } });
const options = (vcsCacheDir: string, git: Partial<WorkspaceOptions['git']> = {}) => bed.options({ vcsCacheDir, git });

describe('vcs cache and a wrong password in the repository URL', () => {
  it('fails the task with the credentials advice and keeps the shared entry; the next task only fetches', async () => {
    const cache = join(bed.scratch, 'shared-cache');
    const url = `${bed.server.url}/main.git`;
    await prepareWorkspace({ taskId: 'good-1', repository: url, branch: 'trunk' }, options(cache, { user: USER, pass: PASS }));
    const paths = cacheEntryPaths(cache, url);
    const mirrorBefore = await stat(join(paths.mirrorDir, 'HEAD'));

    const wrong = options(cache);
    const error = await rejectionOf(prepareWorkspace({ taskId: 'bad', repository: `http://${USER}:Wrong-Password-99@127.0.0.1:${bed.server.port}/main.git`, branch: 'trunk' }, wrong), WorkspaceError);
    expect(error.reason).toBe('failed cloning repository');
    expect(error.message).toMatch(/set agent.git_user and agent.git_pass/);
    expect(error.message).not.toContain('Wrong-Password-99');
    expect(wrong.lines.join('\n')).not.toMatch(/re-cloning the cache entry/);
    // The entry is still there, untouched.
    expect((await stat(join(paths.mirrorDir, 'HEAD'))).ino).toBe(mirrorBefore.ino);
    expect(await readdir(paths.entryDir)).toContain('mirror.git');

    const next = options(cache, { user: USER, pass: PASS });
    const ws = await prepareWorkspace({ taskId: 'good-2', repository: url, branch: 'trunk' }, next);
    expect(ws.resolvedCommit).toBe(bed.fx.commits.trunkTip);
    expect(next.lines.join('\n')).toContain('vcs cache: fetched');
    expect(next.lines.join('\n')).not.toContain('vcs cache: cloned');
  });

  it('keeps an existing entry when a re-clone fails for another reason too', async () => {
    // A fetch that fails for a non-credential reason re-clones; if that clone fails as well,
    // the old mirror must still be there for the next task.
    const cache = join(bed.scratch, 'reclone-cache');
    const url = `${bed.server.url}/main.git`;
    await prepareWorkspace({ taskId: 'first', repository: url, branch: 'trunk' }, options(cache, { user: USER, pass: PASS }));
    const paths = cacheEntryPaths(cache, url);
    await bed.server.close();
    try {
      const down = options(cache, { user: USER, pass: PASS });
      const error = await rejectionOf(prepareWorkspace({ taskId: 'server-down', repository: url, branch: 'trunk' }, down), WorkspaceError);
      expect(error.reason).toBe('failed cloning repository');
      expect(down.lines.join('\n')).toMatch(/re-cloning the cache entry/);
      expect(existsSync(join(paths.mirrorDir, 'HEAD'))).toBe(true);
    } finally {
      await bed.serveAgain();
    }
  });
});

describe('a vcs cache the agent cannot write', () => {
  it('a file in the way: the task clones without the cache and the log says so once, with the key to change', async () => {
    const file = join(bed.scratch, 'not-a-folder');
    await writeFile(file, 'something else lives here\n');
    const o = options(join(file, 'vcs-cache'), { user: USER, pass: PASS });
    const ws = await prepareWorkspace({ taskId: 'no-cache', repository: `${bed.server.url}/main.git`, commit: bed.fx.commits.pinned }, o);
    expect(ws.resolvedCommit).toBe(bed.fx.commits.pinned);
    const warnings = o.lines.filter((l) => l.startsWith('WARNING: vcs cache'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`vcs cache ${join(file, 'vcs-cache')} cannot be used (${file} is a file, not a folder)`);
    expect(warnings[0]).toContain('agent.vcs_cache.path');
    expect(o.lines.join('\n')).not.toMatch(/vcs cache: (cloned|hit)/);
  });
});
