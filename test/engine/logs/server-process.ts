// The embedded server in a child process of its own, so a test can SIGKILL it (a crash, not a
// clean shutdown) and start it again on the same port and data dir. Run directly, it is that
// child: `server-process.ts PORT DATA_DIR` prints one JSON line {url, port, credentials} once
// it listens, and serves until killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ApiCredentials } from '../../../src-main/server/index.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Only from the first start of a data dir. */
  credentials: ApiCredentials | null;
  /** SIGKILL, then wait until it is gone. */
  kill(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

/** Starts the server child; `port` 0 picks a free one. A port still held by a dying process is retried for a while. */
export async function startServerProcess(port: number, dataDir: string): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(port, dataDir);
    } catch (error) {
      if (attempt >= 20 || !/EADDRINUSE/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function startOnce(port: number, dataDir: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', self, String(port), dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}: ${stderr}`)));
    lines.once('line', (line) => {
      const info = JSON.parse(line) as { url: string; port: number; credentials: ApiCredentials | null };
      resolve({
        child,
        ...info,
        kill: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      });
    });
  });
}

if (process.argv[1] === self) {
  const { startEmbeddedServer } = await import('../../../src-main/server/index.js');
  const [portArg, dataDir] = process.argv.slice(2);
  try {
    const server = await startEmbeddedServer({ port: Number(portArg), dataDir: dataDir! });
    process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, credentials: server.createdCredentials })}\n`);
  } catch (error) {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  }
}
