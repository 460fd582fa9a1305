/**
 * The frozen requirements written back to the task (tasks.set_requirements) through the real
 * execute pipeline and the embedded server: the first run moves the developer's list to
 * `org_pip`, a clone of the finished task installs exactly the frozen versions (although a
 * newer one has been published meanwhile) and keeps `org_pip` as it was; VCS lines stay
 * pinned `git+http://…@<commit>` lines.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from '../../../src-main/engine/api/index.js';
import { createTaskRunApi } from '../../../src-main/engine/task-run/api-adapter.js';
import { runTask } from '../../../src-main/engine/task-run/run-task.js';
import type { TaskRunSettings } from '../../../src-main/engine/task-run/settings.js';
import { startTestServer, type TestServer } from '../../helpers/embedded-server.js';
import { isolatedPipEnv, startPackageIndex, TEST_PACKAGES, writeLocalPythonProject, type PackageIndex } from '../../helpers/package-index.js';
import { startGitHttpServer, type GitHttpServer } from '../../helpers/git-fixtures.js';
import { createPythonRepo } from '../../helpers/python-repo.js';
import { taskRunSettings, childConfigFor } from '../../helpers/task-run-settings.js';
import { environmentCache, pipEnvironmentSettings } from '../../helpers/environment-settings.js';

let server: TestServer;
let firstIndex: PackageIndex;
/** The same packages plus tray-alpha 3.0, "published" after the first run. */
let laterIndex: PackageIndex;
let root: string;
let client: ApiClient;
let repo: { url: string; commit: string };
let gitpkg: { url: string; sha: string };
let gitServer: GitHttpServer;

function settings(indexUrl: string): TaskRunSettings {
  return taskRunSettings(root, {
    environment: pipEnvironmentSettings(root, { ignoreRequestedPythonVersion: true, extraPipInstallFlags: ['--index-url', indexUrl], cache: environmentCache(join(root, 'venvs-cache')) }),
    baseEnv: { ...isolatedPipEnv(), HOME: root },
    childConfig: childConfigFor(server),
    secrets: [server.credentials.secretKey],
  });
}

async function runQueued(taskId: string, indexUrl: string) {
  await client.tasks.enqueue({ task: taskId, queueName: 'write-back' });
  await client.queues.getNextTask({ queue: await client.queues.resolveId('write-back') });
  return runTask({ taskId, workerId: 'test-host:0', api: createTaskRunApi(client), settings: settings(indexUrl), monitoring: true });
}

async function logText(taskId: string): Promise<string> {
  const { events } = await client.events.getTaskLog({ task: taskId, batchSize: 10_000, navigateEarlier: false } as never);
  return events.map((e) => String(e.msg ?? '')).join('');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tray-agent-write-back-'));
  server = await startTestServer();
  firstIndex = await startPackageIndex();
  laterIndex = await startPackageIndex([...TEST_PACKAGES, { name: 'tray-alpha', version: '3.0' }]);
  client = createApiClient({ apiServer: server.url, credentials: server.credentials, maxRetries: 8, retryBaseDelayMs: 100, retryMaxDelayMs: 1_000 });
  repo = await createPythonRepo(root, 'project', {
    'train.py': 'import tray_alpha, tray_beta, gitpkg\nprint("versions", tray_alpha.__version__, gitpkg.__version__)\n',
  });
  // A private-style dependency served over git's smart HTTP (a git+http:// requirement).
  const dir = join(root, 'gitpkg');
  await writeLocalPythonProject(dir, 'gitpkg', '1.2');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'gitpkg');
  const projectRoot = join(root, 'git-served');
  execFileSync('git', ['clone', '-q', '--bare', dir, join(projectRoot, 'gitpkg.git')]);
  gitServer = await startGitHttpServer({ projectRoot, env: { PATH: process.env.PATH, HOME: root } });
  gitpkg = { url: `${gitServer.url}/gitpkg.git`, sha: git('rev-parse', 'HEAD') };
}, 120_000);

afterAll(async () => {
  await server?.close();
  await firstIndex?.close();
  await laterIndex?.close();
  await gitServer?.close();
  await rm(root, { recursive: true, force: true });
});

describe('frozen requirements written back', () => {
  it('first run: pip = the frozen list, org_pip = what the developer had; a clone reproduces the versions', async () => {
    const original = `tray-beta>=1.0\ngit+${gitpkg.url}@${gitpkg.sha}#egg=gitpkg`;
    const { id: first } = await client.tasks.create({
      name: 'write-back',
      type: 'training',
      script: { repository: repo.url, branch: 'main', entry_point: 'train.py', binary: 'python3', requirements: { pip: original } },
    } as never);
    const firstRun = await runQueued(first, firstIndex.url);
    expect(firstRun.finalStatus.call, await logText(first)).toBe('completed');
    const written = (await client.tasks.getById(first)).script?.requirements as { pip: string; org_pip: string };
    expect(written.org_pip).toBe(original);
    expect(written.pip.split('\n')).toEqual([`gitpkg @ git+${gitpkg.url}@${gitpkg.sha}`, 'tray-alpha==2.0', 'tray-beta==1.0']);
    expect(await logText(first)).toContain('versions 2.0 1.2');

    // The original list would now get tray-alpha 3.0; the clone's frozen list does not.
    const { id: clone } = await client.tasks.clone({ task: first, newTaskName: 'write-back clone' });
    const cloneRun = await runQueued(clone, laterIndex.url);
    expect(cloneRun.finalStatus.call, await logText(clone)).toBe('completed');
    expect(await logText(clone)).toContain('versions 2.0 1.2');
    const again = (await client.tasks.getById(clone)).script?.requirements as { pip: string; org_pip: string };
    expect(again.org_pip).toBe(original);
    expect(again.pip).toBe(written.pip);
  });
});
