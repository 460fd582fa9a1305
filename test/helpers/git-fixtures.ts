// Test fixtures for the workspace phase, all real git and no network beyond 127.0.0.1:
//  - createGitFixtures(): bare repos (`main.git` with a default branch `trunk`, a `feature`
//    branch, an annotated tag, a pinned commit, a submodule `sub.git`) plus patches.
//  - startGitHttpServer(): a git smart-HTTP server (git http-backend behind node:http as
//    CGI) that can require Basic auth, records every request and can slow responses down.
//  - createGitArgvRecorder(): a `git` wrapper put first on PATH that logs each argv and then
//    runs the real git (to prove what reaches argv).
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';

const execFileAsync = promisify(execFile);

export interface GitFixtures {
  root: string;
  /** Isolated git environment: own HOME and global config, no system config, file:// submodules allowed. */
  env: NodeJS.ProcessEnv;
  /** Folder holding main.git and sub.git (the HTTP server's project root). */
  projectRoot: string;
  originDir: string;
  originUrl: string;
  subUrl: string;
  globalConfigPath: string;
  defaultBranch: 'trunk';
  featureBranch: 'feature';
  tag: 'v1.0';
  commits: {
    /** c1: tagged v1.0. */
    tagged: string;
    /** c2: adds the submodule; the commit tasks pin, and the base of `diff`. */
    pinned: string;
    /** c3: trunk's tip; changes train.py near the lines `diff` touches. */
    trunkTip: string;
    /** c4: feature's tip (branched from c2), adds feature.txt. */
    featureTip: string;
  };
  /** Uncommitted change to train.py taken on `pinned` (applies there as is, on trunkTip only 3-way). */
  diff: string;
  /** A patch whose context exists nowhere in the repository. */
  badDiff: string;
  git(args: string[], cwd?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createGitFixtures(): Promise<GitFixtures> {
  const root = await mkdtemp(join(tmpdir(), 'tray-agent-git-fixture-'));
  const home = join(root, 'home');
  const projectRoot = join(root, 'remotes');
  await mkdir(home, { recursive: true });
  await mkdir(projectRoot, { recursive: true });
  const globalConfigPath = join(home, '.gitconfig');
  await writeFile(globalConfigPath, '# fixture global config: the agent must never write here\n');

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: globalConfigPath,
    GIT_AUTHOR_NAME: 'Fixture Author',
    GIT_AUTHOR_EMAIL: 'author@fixture.invalid',
    GIT_COMMITTER_NAME: 'Fixture Author',
    GIT_COMMITTER_EMAIL: 'author@fixture.invalid',
    // Since git 2.38.1 submodules may not use file:// unless allowed; the fixture's are local.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'protocol.file.allow',
    GIT_CONFIG_VALUE_0: 'always',
  };
  const git = async (args: string[], cwd?: string) => {
    const { stdout } = await execFileAsync('git', args, { cwd: cwd ?? root, env });
    return stdout.trim();
  };

  const originDir = join(projectRoot, 'main.git');
  const subDir = join(projectRoot, 'sub.git');
  await git(['init', '--quiet', '--bare', '--initial-branch=trunk', originDir]);
  await git(['init', '--quiet', '--bare', '--initial-branch=trunk', subDir]);

  const subWork = join(root, 'sub-work');
  await git(['clone', '--quiet', subDir, subWork]);
  await writeFile(join(subWork, 'lib.txt'), 'submodule content\n');
  await git(['add', '.'], subWork);
  await git(['commit', '--quiet', '-m', 'sub: initial'], subWork);
  await git(['push', '--quiet', 'origin', 'trunk'], subWork);

  const work = join(root, 'main-work');
  await git(['clone', '--quiet', originDir, work]);
  const trainLines = ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9'];
  await writeFile(join(work, 'README.md'), '# fixture\n');
  await writeFile(join(work, 'train.py'), `${trainLines.join('\n')}\n`);
  await mkdir(join(work, 'src'), { recursive: true });
  await writeFile(join(work, 'src', 'run.py'), 'print("run")\n');
  await git(['add', '.'], work);
  await git(['commit', '--quiet', '-m', 'c1: initial'], work);
  await git(['tag', '-a', 'v1.0', '-m', 'release 1.0'], work);
  const tagged = await git(['rev-parse', 'HEAD'], work);

  await git(['submodule', 'add', '--quiet', '../sub.git', 'libs/sub'], work);
  await git(['commit', '--quiet', '-m', 'c2: add submodule'], work);
  const pinned = await git(['rev-parse', 'HEAD'], work);

  const changed = [...trainLines];
  changed[1] = 'line 2 (uncommitted change)';
  await writeFile(join(work, 'train.py'), `${changed.join('\n')}\n`);
  const diff = `${await git(['diff'], work)}\n`;
  await git(['checkout', '--quiet', '--', 'train.py'], work);

  await git(['checkout', '--quiet', '-b', 'feature'], work);
  await writeFile(join(work, 'feature.txt'), 'feature work\n');
  await git(['add', '.'], work);
  await git(['commit', '--quiet', '-m', 'c4: feature'], work);
  const featureTip = await git(['rev-parse', 'HEAD'], work);

  await git(['checkout', '--quiet', 'trunk'], work);
  const moved = [...trainLines];
  moved[3] = 'line 4 (changed on trunk)';
  await writeFile(join(work, 'train.py'), `${moved.join('\n')}\n`);
  await git(['commit', '--quiet', '-am', 'c3: trunk moves on'], work);
  const trunkTip = await git(['rev-parse', 'HEAD'], work);

  await git(['push', '--quiet', 'origin', 'trunk', 'feature', '--tags'], work);

  const badDiff = [
    'diff --git a/train.py b/train.py',
    '--- a/train.py',
    '+++ b/train.py',
    '@@ -1,3 +1,3 @@',
    ' this line is not in the file',
    '-neither is this one',
    '+replacement',
    ' nor this one',
    '',
  ].join('\n');

  return {
    root,
    env,
    projectRoot,
    originDir,
    originUrl: pathToFileURL(originDir).href,
    subUrl: pathToFileURL(subDir).href,
    globalConfigPath,
    defaultBranch: 'trunk',
    featureBranch: 'feature',
    tag: 'v1.0',
    commits: { tagged, pinned, trunkTip, featureTip },
    diff,
    badDiff,
    git,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export interface RecordedGitRequest {
  method: string;
  path: string;
  query: string;
  /** The Basic auth user that was accepted, or null. */
  user: string | null;
  status: number;
}

export interface GitHttpServer {
  /** http://127.0.0.1:PORT — repositories live at `${url}/main.git`, `${url}/sub.git`. */
  url: string;
  port: number;
  requests: RecordedGitRequest[];
  close(): Promise<void>;
}

/** Splits a CGI response into status, headers and the body that follows. */
function parseCgiHead(head: string): { status: number; headers: Array<[string, string]> } {
  let status = 200;
  const headers: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers.push([name, value]);
  }
  return { status, headers };
}

function serveWithHttpBackend(req: IncomingMessage, res: ServerResponse, projectRoot: string, env: NodeJS.ProcessEnv, user: string | null, record: RecordedGitRequest): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const cgiEnv: NodeJS.ProcessEnv = {
    PATH: env.PATH,
    HOME: env.HOME,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: env.GIT_CONFIG_GLOBAL,
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: '127.0.0.1',
    ...(user ? { REMOTE_USER: user } : {}),
    ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
    ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
  };
  const child = spawn('git', ['http-backend'], { env: cgiEnv, stdio: ['pipe', 'pipe', 'ignore'] });
  req.pipe(child.stdin);
  let buffered = Buffer.alloc(0);
  let headDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headDone) {
      res.write(chunk);
      return;
    }
    buffered = Buffer.concat([buffered, chunk]);
    const text = buffered.toString('latin1');
    const crlf = text.indexOf('\r\n\r\n');
    const lf = text.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (end < 0) return;
    headDone = true;
    const { status, headers } = parseCgiHead(text.slice(0, end));
    record.status = status;
    res.statusCode = status;
    for (const [name, value] of headers) res.setHeader(name, value);
    res.write(buffered.subarray(end));
  });
  child.on('close', () => {
    if (!headDone) {
      res.statusCode = 500;
      record.status = 500;
    }
    res.end();
  });
  child.on('error', () => {
    res.statusCode = 500;
    res.end();
  });
}

export async function startGitHttpServer(opts: {
  projectRoot: string;
  env: NodeJS.ProcessEnv;
  auth?: { user: string; pass: string };
  /** Delay before answering each request (to test cancellation mid-clone). */
  delayMs?: number;
}): Promise<GitHttpServer> {
  const requests: RecordedGitRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: RecordedGitRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.search, user: null, status: 0 };
    requests.push(record);
    if (opts.auth) {
      const header = req.headers.authorization ?? '';
      const expected = `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString('base64')}`;
      if (header !== expected) {
        record.status = 401;
        req.resume();
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git-fixture"', 'Content-Type': 'text/plain' });
        res.end('authentication required\n');
        return;
      }
      record.user = opts.auth.user;
    }
    const serve = () => serveWithHttpBackend(req, res, opts.projectRoot, opts.env, record.user, record);
    if (opts.delayMs) setTimeout(serve, opts.delayMs);
    else serve();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface GitArgvRecorder {
  /** Put first on PATH so `git` resolves to the recorder. */
  binDir: string;
  /** Every git invocation's argv, in order. */
  invocations(): Promise<string[][]>;
}

/** A `git` wrapper that records argv (one invocation per line, args NUL-separated) and runs the real git. */
export async function createGitArgvRecorder(dir: string, env: NodeJS.ProcessEnv): Promise<GitArgvRecorder> {
  const { stdout } = await execFileAsync('sh', ['-c', 'command -v git'], { env });
  const realGit = stdout.trim();
  const binDir = join(dir, 'git-argv-recorder');
  const logFile = join(dir, 'git-argv.log');
  await mkdir(binDir, { recursive: true });
  await writeFile(logFile, '');
  const script = `#!/bin/sh\nfor arg in "$@"; do printf '%s\\0' "$arg"; done >> '${logFile}'\nprintf '\\n' >> '${logFile}'\nexec '${realGit}' "$@"\n`;
  await writeFile(join(binDir, 'git'), script);
  await chmod(join(binDir, 'git'), 0o755);
  return {
    binDir,
    invocations: async () =>
      (await readFile(logFile, 'utf8'))
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => line.split('\0').filter((arg, i, all) => i < all.length - 1 || arg !== '')),
  };
}
