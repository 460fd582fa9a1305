import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCliCaptured } from '../helpers/run-cli-captured.js';

const API_SECRET = 'SK-cli-secret-value-1234';
const GIT_TOKEN = 'ghp_cli_token_5678';
const INDEX_PASSWORD = 'idx-pw-9012';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cfg-cli-'));
  // The command reads the real process environment and home folder: point both at the temp dir.
  vi.stubEnv('HOME', home);
  for (const name of Object.keys(process.env)) {
    if (/^(CLEARML|TRAINS)_/.test(name)) vi.stubEnv(name, undefined);
  }
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(home, { recursive: true, force: true });
});

const cli = runCliCaptured;

function writeConf(name: string, text: string): string {
  const path = join(home, name);
  writeFileSync(path, text);
  return path;
}

const CONF = `api {
  api_server: http://127.0.0.1:8008
  credentials { "access_key" = "AKPRINTED", "secret_key" = "${API_SECRET}" }
}
agent.git_user: "bob"
agent.git_pass: "${GIT_TOKEN}"
agent.package_manager.extra_index_url: ["https://bob:${INDEX_PASSWORD}@pypi.internal/simple"]
sdk.development.default_output_uri: ""
`;

describe('tray-agent config', () => {
  it('prints the resolved configuration with secrets masked and the files and variables it came from', async () => {
    writeConf('clearml.conf', CONF);
    vi.stubEnv('CLEARML_AGENT__AGENT__DOCKER_FORCE_PULL', 'true');
    const result = await cli('config');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('# configuration files read: ~/clearml.conf');
    expect(lines[1]).toBe('# environment variables applied: CLEARML_AGENT__AGENT__DOCKER_FORCE_PULL');
    expect(lines).toContain('api.api_server = http://127.0.0.1:8008');
    expect(lines).toContain('api.credentials.access_key = AKPRINTED');
    expect(lines).toContain('api.credentials.secret_key = ****');
    expect(lines).toContain('agent.git_pass = ****');
    expect(lines).toContain('agent.package_manager.extra_index_url = ["https://bob:***@pypi.internal/simple"]');
    expect(lines).toContain('agent.docker_force_pull = true');
    expect(lines).toContain('sdk.development.default_output_uri = ');
    for (const secret of [API_SECRET, GIT_TOKEN, INDEX_PASSWORD]) expect(result.stdout).not.toContain(secret);
  });

  it('--json gives typed values, the raw tree and the sources, masked', async () => {
    const file = writeConf('agent.conf', CONF);
    const result = await cli('--config-file', file, 'config', '--json');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as {
      sourceFiles: string[];
      config: { api: { apiServer: string; credentials: { secretKey: string } }; agent: { gitPass: string; venvsDir: string } };
      raw: { api: { credentials: { secret_key: string } } };
    };
    expect(output.sourceFiles).toEqual([file]);
    expect(output.config.api.apiServer).toBe('http://127.0.0.1:8008');
    expect(output.config.api.credentials.secretKey).toBe('****');
    expect(output.config.agent.gitPass).toBe('****');
    expect(output.config.agent.venvsDir).toBe(join(home, '.clearml/venvs-builds'));
    expect(output.raw.api.credentials.secret_key).toBe('****');
    for (const secret of [API_SECRET, GIT_TOKEN, INDEX_PASSWORD]) expect(result.stdout).not.toContain(secret);
  });

  it('says when no file was found and built-in defaults apply', async () => {
    const result = await cli('config');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(
      '# configuration files read: none (built-in defaults; looked for ~/trains.conf and ~/clearml.conf)',
    );
    expect(result.stdout).toContain('agent.venvs_cache.path = ~/.clearml/venvs-cache');
  });

  it('exits 1 naming file, line and key for a bad file', async () => {
    writeConf('clearml.conf', 'agent {\n  venvs_cache {\n    max_entries: ten\n  }\n}\n');
    const result = await cli('config');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'tray-agent: configuration error: agent.venvs_cache.max_entries: expected a whole number, got "ten" (~/clearml.conf line 3)\n',
    );
  });

  it('exits 1 for a syntax error and for a --config-file that does not exist', async () => {
    writeConf('clearml.conf', 'api {\n  api_server: http://h:8008\n');
    const syntax = await cli('config');
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/missing "}" to close the object opened on line 1 \(~\/clearml\.conf line 1\)/);

    const missing = await cli('--config-file', join(home, 'nope.conf'), 'config');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/configuration file ~\/nope\.conf \(given by --config-file\) does not exist/);
  });
});
