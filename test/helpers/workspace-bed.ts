// The set-up the workspace tests share: git fixtures (an origin with history, submodules, tags),
// optionally served over smart HTTP (with Basic auth when asked), a scratch folder, and
// WorkspaceOptions for one task after another. Registers its own beforeAll/afterAll.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { WorkspaceOptions } from '../../src-main/engine/workspace/index.js';
import { createGitFixtures, startGitHttpServer, type GitFixtures, type GitHttpServer } from './git-fixtures.js';

export type WorkspaceOptionsOverrides = Omit<Partial<WorkspaceOptions>, 'git'> & { git?: Partial<WorkspaceOptions['git']> };

export interface WorkspaceBed {
  readonly fx: GitFixtures;
  /** The HTTP server (throws when the bed was made without one). */
  readonly server: GitHttpServer;
  readonly scratch: string;
  /** A new HTTP server on the same repositories, after a test closed the old one (a server outage). */
  serveAgain(): Promise<void>;
  /** Options for the next task: its own root and vcs cache below scratch, its log lines collected in `lines`. */
  options(overrides?: WorkspaceOptionsOverrides): WorkspaceOptions & { lines: string[] };
}

export function useWorkspaceBed(prefix: string, http: { auth?: { user: string; pass: string } } | null = null): WorkspaceBed {
  let fx: GitFixtures | undefined;
  let server: GitHttpServer | undefined;
  let scratch: string | undefined;
  let tasks = 0;
  const serve = async (git: GitFixtures) => {
    if (http) server = await startGitHttpServer({ projectRoot: git.projectRoot, env: git.env, ...(http.auth ? { auth: http.auth } : {}) });
  };
  beforeAll(async () => {
    fx = await createGitFixtures();
    await serve(fx);
    scratch = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await server?.close();
    await fx?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`workspace bed: no ${what} (used before beforeAll, or made without it)`);
    return value;
  };
  return {
    get fx() {
      return ready(fx, 'git fixtures');
    },
    get server() {
      return ready(server, 'HTTP server');
    },
    get scratch() {
      return ready(scratch, 'scratch folder');
    },
    serveAgain() {
      return serve(this.fx);
    },
    options(overrides = {}) {
      tasks += 1;
      const lines: string[] = [];
      const { git, ...rest } = overrides;
      return {
        rootDir: join(this.scratch, `task-${tasks}`),
        vcsCacheDir: join(this.scratch, `cache-${tasks}`),
        git: { forceSshProtocol: false, forceSshUser: 'git', translateSsh: true, ...git },
        log: (line) => lines.push(line),
        env: this.fx.env,
        ...rest,
        lines,
      };
    },
  };
}
