import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startTestServer, type TestServer } from '../../helpers/embedded-server.js';
import { loadAgentConfig } from '../../../src-main/engine/config/index.js';
import {
  createSetupService,
  parseCredentialsBlock,
  planConfigWrite,
  resolveConfigPath,
  setupBridgeCalls,
  verifyCredentials,
  CredentialsPasteError,
} from '../../../src-main/control/setup/index.js';

function webAppBlock(url: string, accessKey: string, secretKey: string): string {
  return `api {\n  web_server: ${url}\n  api_server: ${url}\n  files_server: ${url}\n  credentials {\n    "access_key" = "${accessKey}"\n    "secret_key" = "${secretKey}"\n  }\n}\n`;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('pasted credentials block', () => {
  it('reads the block the web app copies', () => {
    const parsed = parseCredentialsBlock(webAppBlock('https://api.example.org', 'AKEY1234', 'SECRET5678'));
    expect(parsed).toEqual({ apiServer: 'https://api.example.org', webServer: 'https://api.example.org', filesServer: 'https://api.example.org', accessKey: 'AKEY1234', secretKey: 'SECRET5678' });
  });

  it('derives the API and files servers from a web server alone, as clearml does', () => {
    const parsed = parseCredentialsBlock('api { web_server: "https://app.clear.ml/"\n credentials { access_key: "A1B2", secret_key: "S3C4" } }');
    expect(parsed.apiServer).toBe('https://api.clear.ml');
    expect(parsed.filesServer).toBe('https://files.clear.ml');
    expect(parseCredentialsBlock('api { web_server: "http://lab:8080"\n credentials { access_key: "A1B2", secret_key: "S3C4" } }').apiServer).toBe('http://lab:8008');
  });

  it.each([
    ['', 'nothing was pasted'],
    ['hello there', 'not a configuration block'],
    ['hello: there', 'no `credentials'],
    ['api { api_server: "http://h:8008"\n credentials { "access_key" = "AK" } }', 'no secret_key'],
    ['api { credentials { "access_key" = "AK", "secret_key" = "SK" } }', 'names no server'],
    ['api { api_server: "ftp://h"\n credentials { "access_key" = "AK", "secret_key" = "SK" } }', 'not an http(s) URL'],
    ['api { credentials {', 'not a configuration block'],
  ])('rejects %j with a message saying what is wrong', (text, expected) => {
    let thrown: unknown;
    try {
      parseCredentialsBlock(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CredentialsPasteError);
    expect((thrown as Error).message).toContain(expected);
  });

  it('shows the page the access key but never the secret', () => {
    const service = createSetupService({ configPath: '/nonexistent/clearml.conf' });
    const view = service.parseCredentials(webAppBlock('http://127.0.0.1:1', 'AKEY1234', 'TOPSECRET99'));
    expect(JSON.stringify(view)).not.toContain('TOPSECRET99');
    expect(view.accessKey).toBe('AKEY1234');
  });
});

describe('planning the clearml.conf write', () => {
  const settings = { apiServer: 'http://127.0.0.1:8008', webServer: 'http://127.0.0.1:8008', filesServer: null, accessKey: 'AK12', secretKey: 'SK34', gitUser: 'me', gitPass: 'tok', extraIndexUrl: 'https://pkgs.example/simple' };

  it('a new file holds every key and reads back through the config loader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'setup-plan-'));
    const plan = planConfigWrite(null, settings, join(dir, 'clearml.conf'));
    expect(plan.created).toBe(true);
    writeFileSync(join(dir, 'clearml.conf'), plan.text!);
    const { config } = await loadAgentConfig({ configFile: join(dir, 'clearml.conf'), env: {}, homeDir: dir });
    expect(config.api.apiServer).toBe('http://127.0.0.1:8008');
    expect(config.api.credentials).toMatchObject({ accessKey: 'AK12', secretKey: 'SK34' });
    expect(config.agent.gitUser).toBe('me');
    expect(config.agent.gitPass).toBe('tok');
    expect(config.agent.packageManager.extraIndexUrl).toEqual(['https://pkgs.example/simple']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an existing file with credentials gains only the missing keys; nothing set is changed', async () => {
    const existing = 'api {\n  api_server: http://127.0.0.1:8008\n  credentials { "access_key" = "OLDK", "secret_key" = "OLDS" }\n}\nagent.git_user: "someone"\n';
    const plan = planConfigWrite(existing, settings, '/x/clearml.conf');
    expect(plan.text!.startsWith(existing)).toBe(true);
    expect(plan.added).toEqual(['api.web_server', 'agent.package_manager.extra_index_url']);
    expect(plan.kept).toEqual(expect.arrayContaining(['api.api_server', 'api.credentials.access_key', 'api.credentials.secret_key', 'agent.git_user']));
    // git_user and git_pass are a pair: a token is never added under someone else's user name.
    expect(plan.kept).toContain('agent.git_pass');
    expect(plan.text).not.toContain('SK34');
    const dir = mkdtempSync(join(tmpdir(), 'setup-plan-'));
    writeFileSync(join(dir, 'clearml.conf'), plan.text!);
    const { config } = await loadAgentConfig({ configFile: join(dir, 'clearml.conf'), env: {}, homeDir: dir });
    expect(config.api.credentials).toMatchObject({ accessKey: 'OLDK', secretKey: 'OLDS' });
    expect(config.agent.gitUser).toBe('someone');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a file pointing at another server keeps its whole api section and says which server', () => {
    const plan = planConfigWrite('api { api_server: "https://api.clear.ml" }\n', settings, '/x/clearml.conf');
    expect(plan.otherServer).toBe('https://api.clear.ml');
    expect(plan.added.filter((key) => key.startsWith('api.'))).toEqual([]);
  });

  it('nothing to add → no write', () => {
    const complete = planConfigWrite(null, settings, '/x/c.conf').text!;
    expect(planConfigWrite(complete, settings, '/x/c.conf')).toMatchObject({ text: null, added: [] });
  });

  it('a file that does not parse is refused, naming it', () => {
    expect(() => planConfigWrite('api { api_server: ', settings, '/x/clearml.conf')).toThrow(/cannot add to \/x\/clearml.conf: it does not parse/);
  });
});

describe('verify and save against the embedded server', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'setup-service-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in and names the user and API version', async () => {
    const result = await verifyCredentials({ apiServer: server.url, ...server.credentials });
    expect(result).toMatchObject({ ok: true, error: null });
    expect(result.user).toBeTruthy();
    expect(result.apiVersion).toMatch(/^2\.\d+$/);
  });

  it('a wrong secret is refused with what to do', async () => {
    const result = await verifyCredentials({ apiServer: server.url, accessKey: server.credentials.accessKey, secretKey: 'wrong-secret' }, { maxRetries: 0 });
    expect(result.ok).toBe(false);
    expect(result.error).toContain('refused these credentials');
    expect(result.error).not.toContain('wrong-secret');
  });

  it('a server that does not answer says so', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await verifyCredentials({ apiServer: url, accessKey: 'a', secretKey: 'b' }, { maxRetries: 0 });
    expect(result.error).toContain(`cannot reach the server at ${url}`);
  });

  it('saves a new clearml.conf with mode 0600 and reports what it wrote', async () => {
    const configPath = join(dir, 'new', 'clearml.conf');
    const calls = setupBridgeCalls(createSetupService({ configPath }));
    expect(await calls.setupGetState({})).toEqual({ configPath, configExists: false, hasCredentials: false, serverUrl: null });
    const text = webAppBlock(server.url, server.credentials.accessKey, server.credentials.secretKey);
    expect((await calls.setupVerify({ mode: 'remote', credentialsText: text })).ok).toBe(true);
    const result = await calls.setupSave({ mode: 'remote', credentialsText: text, gitUser: 'git-me', gitToken: 'git-token-1', extraIndexUrl: '' });
    expect(result.created).toBe(true);
    expect(result.added).toContain('agent.git_pass');
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'new'))).toEqual(['clearml.conf']);
    expect(await calls.setupGetState({})).toEqual({ configPath, configExists: true, hasCredentials: true, serverUrl: server.url });
  });

  it('does not write credentials that fail to log in', async () => {
    const configPath = join(dir, 'refused.conf');
    const service = createSetupService({ configPath, verify: { maxRetries: 0 } });
    await expect(service.save({ mode: 'remote', credentialsText: webAppBlock(server.url, 'nope', 'nope') })).rejects.toThrow(/refused these credentials.*; nothing was written$/);
    expect(() => statSync(configPath)).toThrow();
  });

  it('"this workstation only" writes the embedded server\'s own key pair', async () => {
    const configPath = join(dir, 'embedded.conf');
    const service = createSetupService({ configPath, embeddedServer: async () => ({ url: server.url, credentials: server.credentials }) });
    expect((await service.verify('embedded')).ok).toBe(true);
    const result = await service.save({ mode: 'embedded' });
    expect(result.created).toBe(true);
    const { config } = await loadAgentConfig({ configFile: configPath, env: {}, homeDir: dir });
    expect(config.api.apiServer).toBe(server.url);
  });

  it('without an embedded server the embedded choice is refused, saying what to do', async () => {
    await expect(createSetupService({ configPath: join(dir, 'x.conf') }).verify('embedded')).rejects.toThrow(/paste credentials/);
  });

  it('an existing file is extended, never rewritten: its text stays byte for byte', async () => {
    const configPath = join(dir, 'existing.conf');
    const original = `# mine\nsdk { development { default_output_uri: "s3://bucket" } }\n`;
    writeFileSync(configPath, original, { mode: 0o644 });
    const text = webAppBlock(server.url, server.credentials.accessKey, server.credentials.secretKey);
    const result = await createSetupService({ configPath }).save({ mode: 'remote', credentialsText: text });
    expect(result.created).toBe(false);
    expect(result.added).toContain('api.credentials.secret_key');
    const after = readFileSync(configPath, 'utf8');
    expect(after.startsWith(original)).toBe(true);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
  });
});

describe('config path', () => {
  it('follows --config-file, then CLEARML_CONFIG_FILE, then ~/clearml.conf', () => {
    expect(resolveConfigPath({ configFile: '/a.conf', env: { CLEARML_CONFIG_FILE: '/b.conf' }, home: '/h' })).toBe('/a.conf');
    expect(resolveConfigPath({ env: { CLEARML_CONFIG_FILE: '/b.conf' }, home: '/h' })).toBe('/b.conf');
    expect(resolveConfigPath({ env: { CLEARML_CONFIG_FILE: '' }, home: '/h' })).toBe('/h/clearml.conf');
  });
});
