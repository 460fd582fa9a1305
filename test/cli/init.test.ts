import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { runCliInPty } from '../helpers/pty.js';
import { loadAgentConfig } from '../../src-main/engine/config/index.js';
import { readPastedBlock } from '../../src-main/cli/commands/init.js';

// `tray-agent init` as a user runs it: in a real pseudo-terminal, pasting the web app's block,
// against the real embedded server.

let server: TestServer;
let home: string;
beforeAll(async () => {
  server = await startTestServer();
  home = mkdtempSync(join(tmpdir(), 'init-home-'));
});
afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

function pastedBlock(secretKey = server.credentials.secretKey): string {
  return `api {\n  web_server: ${server.url}\n  api_server: ${server.url}\n  files_server: ${server.url}\n  credentials {\n    "access_key" = "${server.credentials.accessKey}"\n    "secret_key" = "${secretKey}"\n  }\n}\n`;
}

const env = () => ({ HOME: home, CLEARML_CONFIG_FILE: '' });
const GIT_TOKEN = 'ghp_initTestToken123';

describe('tray-agent init in a terminal', () => {
  it('paste, verify, git and extra index: writes a new clearml.conf with mode 0600 and shows no secret', async () => {
    const configPath = join(home, 'fresh', 'clearml.conf');
    const run = await runCliInPty(
      ['--config-file', configPath, 'init'],
      [
        { expect: 'Paste copied configuration here:', send: pastedBlock() },
        { expect: 'Detected credentials' },
        { expect: 'Verifying credentials ...' },
        { expect: 'Credentials verified!' },
        { expect: 'Enter git username for repository cloning', send: 'lab-user\n' },
        { expect: "Enter password (or access token) for user 'lab-user':", send: `${GIT_TOKEN}\n` },
        { expect: 'extra-index-url', send: 'https://pkgs.example/simple\n' },
        { expect: `New configuration stored in ${configPath}` },
      ],
      { env: env() },
    );
    expect(run.failedStep, run.transcript).toBeNull();
    expect(run.exitCode).toBe(0);
    expect(run.transcript).toContain(`Detected credentials key="${server.credentials.accessKey}" secret="****"`);
    expect(run.transcript).not.toContain(server.credentials.secretKey);
    expect(run.transcript).not.toContain(GIT_TOKEN);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    const { config } = await loadAgentConfig({ configFile: configPath, env: {}, homeDir: home });
    expect(config.api.apiServer).toBe(server.url);
    expect(config.api.credentials).toMatchObject(server.credentials);
    expect(config.agent.gitUser).toBe('lab-user');
    expect(config.agent.gitPass).toBe(GIT_TOKEN);
    expect(config.agent.packageManager.extraIndexUrl).toEqual(['https://pkgs.example/simple']);
  });

  it('bad pasted text gets a clear message and the prompt again; wrong credentials are not verified', async () => {
    const configPath = join(home, 'retry', 'clearml.conf');
    const run = await runCliInPty(
      ['--config-file', configPath, 'init'],
      [
        { expect: 'Paste copied configuration here:', send: 'this is not it\n\n' },
        { expect: 'Could not use the pasted text:' },
        { expect: 'Paste copied configuration here:', send: pastedBlock('a-wrong-secret') },
        { expect: 'Could not verify the credentials:' },
        { expect: 'Paste copied configuration here:', send: pastedBlock() },
        { expect: 'Credentials verified!' },
        { expect: 'Enter git username', send: '\n' },
        { expect: 'extra-index-url', send: '\n' },
        { expect: 'New configuration stored in' },
      ],
      { env: env() },
    );
    expect(run.failedStep, run.transcript).toBeNull();
    expect(run.exitCode).toBe(0);
    expect(run.transcript).toMatch(/refused these credentials/);
    expect(run.transcript).not.toContain('a-wrong-secret');
    const text = readFileSync(configPath, 'utf8');
    expect(text).not.toContain('git_user');
  });

  it('an existing file gains only the missing api section; what it had stays byte for byte', async () => {
    const configPath = join(home, 'existing.conf');
    const original = '# my settings\nagent {\n  git_user: "kept-user"\n  package_manager { extra_index_url: ["https://mine.example/simple"] }\n}\n';
    writeFileSync(configPath, original, { mode: 0o644 });
    const run = await runCliInPty(
      ['--config-file', configPath, 'init'],
      [
        { expect: 'only the settings it lacks will be added' },
        { expect: 'Paste copied configuration here:', send: pastedBlock() },
        { expect: 'Credentials verified!' },
        { expect: 'Enter git username', send: 'other-user\n' },
        { expect: "for user 'other-user':", send: 'other-token\n' },
        { expect: 'extra-index-url', send: 'https://other.example/simple\n' },
        { expect: 'New configuration stored in' },
        { expect: 'already set there, left unchanged:' },
      ],
      { env: env() },
    );
    expect(run.failedStep, run.transcript).toBeNull();
    const after = readFileSync(configPath, 'utf8');
    expect(after.startsWith(original)).toBe(true);
    expect(after).not.toContain('other-user');
    expect(after).not.toContain('other.example');
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    const { config } = await loadAgentConfig({ configFile: configPath, env: {}, homeDir: home });
    expect(config.api.credentials).toMatchObject(server.credentials);
    expect(config.agent.gitUser).toBe('kept-user');
    expect(config.agent.packageManager.extraIndexUrl).toEqual(['https://mine.example/simple']);
  });

  it('a file that already holds working credentials keeps them: no paste, only git and the package index', async () => {
    const configPath = join(home, 'has-credentials.conf');
    const original = `api {\n  api_server: ${server.url}\n  credentials { "access_key" = "${server.credentials.accessKey}", "secret_key" = "${server.credentials.secretKey}" }\n}\n`;
    writeFileSync(configPath, original, { mode: 0o600 });
    const run = await runCliInPty(
      ['--config-file', configPath, 'init'],
      [
        { expect: `already holds credentials for ${server.url}; they are kept.` },
        { expect: 'Verifying credentials ...' },
        { expect: 'Credentials verified!' },
        { expect: 'Enter git username', send: '\n' },
        { expect: 'extra-index-url', send: 'https://pkgs.example/simple\n' },
        { expect: 'New configuration stored in' },
      ],
      { env: env() },
    );
    expect(run.failedStep, run.transcript).toBeNull();
    expect(run.transcript).not.toContain('Paste copied configuration here:');
    expect(run.transcript).not.toContain(server.credentials.secretKey);
    const after = readFileSync(configPath, 'utf8');
    expect(after.startsWith(original)).toBe(true);
    expect(after).toContain('agent.package_manager.extra_index_url: ["https://pkgs.example/simple"]');
  });

  it('Ctrl+D at the paste prompt cancels with nothing written', async () => {
    const configPath = join(home, 'cancelled', 'clearml.conf');
    const run = await runCliInPty(['--config-file', configPath, 'init'], [{ expect: 'Paste copied configuration here:', send: '\u0004' }, { expect: 'nothing was written' }], { env: env() });
    expect(run.failedStep, run.transcript).toBeNull();
    expect(run.exitCode).toBe(130);
    expect(existsSync(configPath)).toBe(false);
  });
});

describe('reading a pasted block', () => {
  const feed = (lines: string[]) => {
    const queue = [...lines];
    return () => Promise.resolve(queue.length ? (queue.shift() as string) : null);
  };
  it('ends at the brace that closes the block, ignoring braces inside quotes', async () => {
    expect(await readPastedBlock(feed(['', 'api {', '  credentials { "secret_key" = "a}b" }', '}', 'next']))).toBe('api {\n  credentials { "secret_key" = "a}b" }\n}');
  });
  it('a brace-less paste ends at a blank line', async () => {
    expect(await readPastedBlock(feed(['api.api_server: x', '']))).toBe('api.api_server: x\n');
  });
});
