import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer, type ApiCredentials, type EmbeddedServer, type EmbeddedServerOptions } from '../../src-main/server/index.js';

export interface TestServer {
  server: EmbeddedServer;
  url: string;
  credentials: ApiCredentials;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A real embedded server on an ephemeral 127.0.0.1 port with a fresh temp data dir, removed
 * on close. `options` passes through (clock, timeouts) for tests that need them.
 */
export async function startTestServer(options: Partial<Omit<EmbeddedServerOptions, 'dataDir'>> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tray-agent-server-'));
  const server = await startEmbeddedServer({ port: 0, ...options, dataDir });
  const credentials = server.createdCredentials;
  if (!credentials) throw new Error('a fresh data dir must yield credentials');
  return {
    server,
    url: server.url,
    credentials,
    dataDir,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
