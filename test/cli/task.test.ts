import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliCaptured, type CliResult } from '../helpers/run-cli-captured.js';
import { newLogCursor, readNewLogEvents } from '../../src-main/engine/api/task-log-follower.js';
import { createApiClient, cliArgsForTask, cliArgsSystemTag, type ApiClient, type Task } from '../../src-main/engine/api/index.js';
import { startTestServer } from '../helpers/embedded-server.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** The `task` and `list` commands end to end: runCli in-process against the embedded server. */
describe('tray-agent task / list against the embedded server', () => {
  let server: TestServer;
  let client: ApiClient;
  let workDir: string;
  let configFile: string;

  beforeAll(async () => {
    server = await startTestServer();
    client = createApiClient({ apiServer: server.url, credentials: server.credentials });
    workDir = await mkdtemp(join(tmpdir(), 'tray-agent-task-cli-'));
    configFile = join(workDir, 'clearml.conf');
    await writeFile(
      configFile,
      `api {\n  api_server: "${server.url}"\n  credentials {\n    access_key: "${server.credentials.accessKey}"\n    secret_key: "${server.credentials.secretKey}"\n  }\n}\n`,
      { mode: 0o600 },
    );
    await client.queues.create({ name: 'cli-queue' });
  });
  afterAll(async () => {
    await server?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** One command line against this server's config; stdout/stderr captured. */
  const cli = (...args: string[]): Promise<CliResult> => runCliCaptured('--config-file', configFile, ...args);

  async function createdId(result: CliResult): Promise<string> {
    expect(result.stderr).not.toContain('tray-agent task');
    expect(result.code).toBe(0);
    const id = result.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    return id;
  }

  it('creates a task from a repository with args, packages and docker, marked for CLI args', async () => {
    const setup = join(workDir, 'setup.sh');
    await writeFile(setup, 'apt-get install -y libgl1\n');
    const requirements = join(workDir, 'requirements.txt');
    await writeFile(requirements, 'numpy>=2\n\n# comment kept\n');
    const id = await createdId(
      await cli(
        'task', 'create', '--name', 'cli repo task', '--project', 'cli-project',
        '--repo', 'https://example.invalid/repo.git', '--branch', 'dev', '--script', 'src/train.py', '--working-dir', 'src',
        '--args', 'data/in "two words"', '--arg', 'lr=0.1', '--arg', 'epochs=3',
        '--packages', 'torch==2.5', 'tqdm', '--requirements-file', requirements,
        '--docker-image', 'python:3.12', '--docker-args', '--ipc=host', '--setup-script', setup,
      ),
    );
    const task = await client.tasks.getById(id);
    expect(task).toMatchObject({ name: 'cli repo task', status: 'created', type: 'training' });
    expect(task.project).toBe(await client.projects.resolveId('cli-project'));
    expect(task.script).toMatchObject({ repository: 'https://example.invalid/repo.git', branch: 'dev', entry_point: 'src/train.py', working_dir: 'src', binary: 'python3' });
    expect(task.script?.requirements?.pip).toBe('torch==2.5\ntqdm\nnumpy>=2\n# comment kept\n');
    expect(task.container).toMatchObject({ image: 'python:3.12', arguments: '--ipc=host', setup_shell_script: 'apt-get install -y libgl1\n' });
    expect(task.system_tags).toContain(cliArgsSystemTag);
    expect(cliArgsForTask(task)).toEqual(['data/in', 'two words', '--epochs', '3', '--lr', '0.1']);

    const shown = await cli('task', 'show', id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/status:\s+created/);
    expect(shown.stdout).toContain('arguments:');
    expect(shown.stdout).toContain('"two words" --epochs 3 --lr 0.1');
    const json = await cli('task', 'show', id, '--json');
    expect((JSON.parse(json.stdout) as Task).id).toBe(id);
  });

  it('creates a literal-script task from a local file and enqueues it at once', async () => {
    const script = join(workDir, 'hello.py');
    await writeFile(script, 'print("hello")\n');
    const result = await cli('task', 'create', '--name', 'cli literal', '--script', script, '--queue', 'cli-queue');
    const id = await createdId(result);
    expect(result.stderr).toContain(`task ${id} queued in cli-queue`);
    const task = await client.tasks.getById(id);
    expect(task.status).toBe('queued');
    expect(task.script).toMatchObject({ repository: '', entry_point: 'hello.py', diff: 'print("hello")\n' });

    const listed = await cli('task', 'list', '--status', 'queued', '--queue', 'cli-queue');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+TYPE\s+LAST UPDATE\s+NAME$/);
    expect(listed.stdout).toContain(id);
    const json = JSON.parse((await cli('task', 'list', '--status', 'created', '--json')).stdout) as Task[];
    expect(json.every((t) => t.status === 'created')).toBe(true);
    expect(json.some((t) => t.id === id)).toBe(false);
  });

  it('enqueues, aborts, resets and clones', async () => {
    const id = await createdId(await cli('task', 'create', '--name', 'cli lifecycle', '--repo', 'https://example.invalid/r.git', '--module', 'pkg.main'));
    expect((await client.tasks.getById(id)).script?.entry_point).toBe('-m pkg.main');
    const enqueued = await cli('task', 'enqueue', id, '--queue', 'cli-queue');
    expect(enqueued.code).toBe(0);
    expect((await client.tasks.getById(id)).status).toBe('queued');

    const aborted = await cli('task', 'abort', id);
    expect(aborted).toMatchObject({ code: 0, stdout: `task ${id}: stopped\n` });
    const again = await cli('task', 'abort', id);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already stopped');

    expect((await cli('task', 'reset', id)).code).toBe(0);
    expect((await client.tasks.getById(id)).status).toBe('created');

    const clone = await cli('task', 'clone', id, '--name', 'cli lifecycle copy', '--queue', 'cli-queue');
    const cloneId = await createdId(clone);
    expect(await client.tasks.getById(cloneId)).toMatchObject({ name: 'cli lifecycle copy', status: 'queued' });
  });

  it('aborts a running task by asking its worker to stop it', async () => {
    const id = await createdId(await cli('task', 'create', '--name', 'cli running', '--repo', 'https://example.invalid/r.git', '--script', 'run.py'));
    await client.tasks.started({ task: id, force: true });
    await client.workers.statusReport({ worker: 'cli-host:0', task: id });
    const aborted = await cli('task', 'abort', id);
    expect(aborted.code).toBe(0);
    expect(aborted.stdout).toContain('in_progress (stopping)');
  });

  it('prints a task log, and follows it until the task ends', async () => {
    const id = await createdId(await cli('task', 'create', '--name', 'cli logs', '--repo', 'https://example.invalid/r.git', '--script', 'run.py'));
    await client.tasks.started({ task: id, force: true });
    const t0 = Date.now();
    await client.events.addBatch([
      { type: 'log', task: id, level: 'DEBUG', msg: 'line one\nline two\n', timestamp: t0 },
      { type: 'log', task: id, level: 'INFO', msg: 'line three', timestamp: t0 + 1 },
    ]);
    const printed = await cli('task', 'logs', id);
    expect(printed.stderr).toBe("");
    expect(printed).toMatchObject({ code: 0, stdout: 'line one\nline two\nline three\n' });

    const following = cli('task', 'logs', id, '--follow', '--interval', '0.1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.events.addBatch([{ type: 'log', task: id, level: 'DEBUG', msg: 'line four\n', timestamp: t0 + 2 }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.events.addBatch([{ type: 'log', task: id, level: 'DEBUG', msg: 'line five\n', timestamp: t0 + 3 }]);
    await client.tasks.completed({ task: id });
    const followed = await following;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('line one\nline two\nline three\nline four\nline five\n');
    expect(followed.stderr).toContain(`task ${id} completed`);
  });

  it.each([
    ['after_seq (embedded server)', true],
    ['timestamp paging (other servers)', false],
  ])('reads logs page by page with %s, losing nothing at page boundaries', async (_mode, useSeq) => {
    const id = (await client.tasks.create({ name: `paging ${String(useSeq)}`, script: { entry_point: 'run.py' } })).id;
    await client.tasks.started({ task: id, force: true });
    const t0 = Date.now();
    const stamps = [t0, t0 + 1, t0 + 1, t0 + 1, t0 + 2];
    await client.events.addBatch(stamps.map((timestamp, i) => ({ type: 'log', task: id, level: 'DEBUG', msg: `m${i}\n`, timestamp })));
    const cursor = newLogCursor();
    const first = await readNewLogEvents(client, id, cursor, useSeq, 2);
    expect(first.map((e) => e.msg)).toEqual(['m0\n', 'm1\n', 'm2\n', 'm3\n', 'm4\n']);
    expect(await readNewLogEvents(client, id, cursor, useSeq, 2)).toEqual([]);
    await client.events.addBatch([{ type: 'log', task: id, level: 'DEBUG', msg: 'm5\n', timestamp: t0 + 3 }]);
    expect((await readNewLogEvents(client, id, cursor, useSeq, 2)).map((e) => e.msg)).toEqual(['m5\n']);
  });

  it('lists workers', async () => {
    await client.workers.register({ worker: 'cli-host:gpu0', queues: [await client.queues.resolveId('cli-queue')] });
    const listed = await cli('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^WORKER\s+IP\s+TASK\s+QUEUES\s+LAST ACTIVITY$/);
    expect(listed.stdout).toMatch(/cli-host:gpu0\s+\S+\s+-\s+cli-queue/);
    const json = JSON.parse((await cli('list', '--json')).stdout) as Array<{ id: string }>;
    expect(json.map((w) => w.id)).toContain('cli-host:gpu0');
  });

  it.each([
    [['task', 'create', '--script', 'x.py'], /missing --name/],
    [['task', 'create', '--name', 'ok name'], /missing entry point/],
    [['task', 'create', '--name', 'ok name', '--script', 'a.py', '--branch', 'b', '--tag', 't', '--repo', 'r'], /--branch and --tag exclude each other/],
    [['task', 'create', '--name', 'ok name', '--script', '/no/such/file.py'], /--script \/no\/such\/file\.py: cannot read it \(no such file\)/],
    [['task', 'create', '--name', 'ok name', '--module', 'm', '--arg', 'novalue'], /--arg "novalue" is not name=value/],
    [['task', 'create', '--name', 'ok name', '--module', 'm', '--args', 'a | b'], /shell operator/],
    [['task', 'list', '--status', 'running'], /unknown status "running": use one of created, queued, in_progress/],
    [['task', 'list', '--limit', 'many'], /--limit "many"/],
    [['task', 'enqueue', 'abc'], /--queue/],
    [['task', 'create', '--name', 'ok name', '--bogus'], /unknown option '--bogus'/],
  ])('refuses bad input %j with exit code 2', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('names a missing task or queue, with exit code 1', async () => {
    const missing = await cli('task', 'show', '0'.repeat(32));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not found');
    expect(missing.stderr).toContain('tray-agent task list');
    const id = await createdId(await cli('task', 'create', '--name', 'cli bad queue', '--module', 'm', '--repo', 'r'));
    const noQueue = await cli('task', 'enqueue', id, '--queue', 'no-such-queue');
    expect(noQueue.code).toBe(1);
    expect(noQueue.stderr).toContain('queue "no-such-queue" not found');
  });

  it('says which server it cannot reach', async () => {
    const unreachable = join(workDir, 'unreachable.conf');
    await writeFile(unreachable, 'api { api_server: "http://127.0.0.1:9", credentials { access_key: "k", secret_key: "s" } }\n');
    const { code, stderr } = await runCliCaptured('--config-file', unreachable, 'task', 'list');
    expect(code).toBe(1);
    expect(stderr).toContain('http://127.0.0.1:9');
    expect(stderr).not.toContain('"s"');
  });
});
