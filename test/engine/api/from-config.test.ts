import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../../../src-main/engine/config/index.js';
import { apiClientOptionsFromConfig, connectApiClient } from '../../../src-main/engine/api/from-config.js';
import { startTestServer } from '../../helpers/embedded-server.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

describe('API client from clearml.conf', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tray-agent-api-config-'));
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function load(text: string) {
    const file = join(dir, `c${Math.random().toString(36).slice(2)}.conf`);
    await writeFile(file, text);
    return { file, config: (await loadAgentConfig({ configFile: file, env: {}, homeDir: dir })).config };
  }

  it('maps the api.http retry keys, the refresh threshold and the credentials', async () => {
    const { config } = await load(`api {
  api_server: "http://127.0.0.1:8008"
  credentials { access_key: "AK", secret_key: "SK" }
  http { retries { total: 7, backoff_factor: 0.5, backoff_max: 30 }, wait_on_maintenance_forever: false }
  auth { token_expiration_threshold_sec: 600 }
}
agent.worker_name: "bench-7"
`);
    expect(apiClientOptionsFromConfig(config)).toMatchObject({
      apiServer: 'http://127.0.0.1:8008',
      credentials: { accessKey: 'AK', secretKey: 'SK' },
      workerName: 'bench-7',
      maxRetries: 7,
      retryBaseDelayMs: 500,
      retryMaxDelayMs: 30_000,
      waitOnMaintenanceForever: false,
      tokenRefreshThresholdSec: 600,
    });
    expect(apiClientOptionsFromConfig(config, { maxRetries: 1 }).maxRetries).toBe(1);
  });

  it('says how to set the server when api.api_server is missing', async () => {
    const { config } = await load('api { credentials { access_key: "AK", secret_key: "SK" } }\n');
    expect(() => apiClientOptionsFromConfig(config)).toThrow(/api\.api_server is not set.*CLEARML_API_HOST/);
  });

  it('connects to the embedded server with the file the CLI names', async () => {
    const { file } = await load(`api { api_server: "${server.url}", credentials { access_key: "${server.credentials.accessKey}", secret_key: "${server.credentials.secretKey}" } }\n`);
    const client = await connectApiClient({ configFile: file });
    await client.login();
    expect(client.capabilities().trayAgentExtensions).toBe(true);
  });
});
