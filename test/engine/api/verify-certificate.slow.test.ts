import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../src-main/engine/api/index.js';
import { apiClientOptionsFromConfig } from '../../../src-main/engine/api/from-config.js';
import { loadAgentConfig } from '../../../src-main/engine/config/index.js';
import { taskRunSettingsFromConfig } from '../../../src-main/engine/task-run/settings-from-config.js';
import { writeAgentConfig } from '../../helpers/agent-config.js';
import { startTestServer, type TestServer } from '../../helpers/embedded-server.js';

// A server behind https with a self-signed certificate (made by openssl for this run): a TLS
// front that forwards to the real embedded server, as a reverse proxy in front of ClearML would.
const run = promisify(execFile);
let dir: string;
let server: TestServer;
let front: Server;
let frontUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tray-agent-tls-'));
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  server = await startTestServer();
  const target = new URL(server.url);
  front = createHttpsServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (req, res) => {
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  frontUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
});
afterAll(async () => {
  front?.closeAllConnections();
  await new Promise((resolve) => front?.close(resolve));
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('api.verify_certificate', () => {
  it('by default an untrusted certificate is refused, with what to do', async () => {
    const client = createApiClient({ apiServer: frontUrl, credentials: server.credentials, maxRetries: 0 });
    await expect(client.login()).rejects.toThrow(/TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\).*NODE_EXTRA_CA_CERTS.*api\.verify_certificate: false/);
  });

  it('CLEARML_API_HOST_VERIFY_CERT=0 (api.verify_certificate: false) talks to it, as clearml-agent does', async () => {
    const configFile = await writeAgentConfig(join(dir, 'agent'), { url: frontUrl, credentials: server.credentials });
    const { config } = await loadAgentConfig({ configFile, env: { CLEARML_API_HOST_VERIFY_CERT: '0' }, homeDir: dir });
    expect(config.api.verifyCertificate).toBe(false);
    const client = createApiClient(apiClientOptionsFromConfig(config, { maxRetries: 0 }));
    await client.login();
    await client.queues.create({ name: 'over-tls' });
    expect((await client.queues.getAll({})).map((q) => q.name)).toContain('over-tls');
    // The task's SDK gets the same setting in its clearml.conf.
    expect(taskRunSettingsFromConfig(config).childConfig).toMatchObject({ api: { api_server: frontUrl, verify_certificate: false } });
  });

  it('the same file with the check on still refuses the server', async () => {
    const configFile = await writeAgentConfig(join(dir, 'agent-verify'), { url: frontUrl, credentials: server.credentials });
    const { config } = await loadAgentConfig({ configFile, env: {}, homeDir: dir });
    await expect(createApiClient(apiClientOptionsFromConfig(config, { maxRetries: 0 })).login()).rejects.toThrow(/not trusted/);
    expect((taskRunSettingsFromConfig(config).childConfig as { api: Record<string, unknown> }).api).not.toHaveProperty('verify_certificate');
  });
});
