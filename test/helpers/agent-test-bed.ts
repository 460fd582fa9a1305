import { afterAll, beforeAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from './embedded-server.js';
import { writeAgentConfig } from './agent-config.js';
import { createApiClient, type ApiClient } from '../../src-main/engine/api/index.js';

/** What agent-level tests share: a real embedded server, a client, a clearml.conf for it. */
export interface AgentTestBed {
  server: TestServer;
  /** Temp folder of the file: HOME of the agents it starts; removed afterwards. */
  root: string;
  client: ApiClient;
  configFile: string;
}

/**
 * Registers beforeAll/afterAll hooks that start the embedded server and write the agent's
 * config (every agent folder inside `root`); the returned object is filled in by beforeAll.
 */
export function useAgentTestBed(prefix: string, agentExtra = ''): AgentTestBed {
  const bed = {} as AgentTestBed;
  beforeAll(async () => {
    bed.root = await mkdtemp(join(tmpdir(), `tray-agent-${prefix}-`));
    bed.server = await startTestServer();
    bed.client = createApiClient({ apiServer: bed.server.url, credentials: bed.server.credentials });
    bed.configFile = await writeAgentConfig(join(bed.root, 'agent'), bed.server, agentExtra);
  });
  afterAll(async () => {
    await bed.server?.close();
    if (bed.root) await rm(bed.root, { recursive: true, force: true });
  });
  return bed;
}
