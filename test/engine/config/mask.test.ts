import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectSecretValues,
  flattenConfig,
  loadAgentConfig,
  maskSecrets,
  type LoadedAgentConfig,
} from '../../../src-main/engine/config/index.js';

const SECRETS = {
  apiSecret: 'SK-api-secret-0001',
  gitPass: 'ghp_gitpassword0002',
  indexPass: 'idxpass0003',
  s3Secret: 'aws-secret-0004',
  azureKey: 'azure-account-key-0005',
  envToken: 'env-token-0006',
  dockerSecret: 'docker-env-secret-0007',
  fileContents: 'private-key-material-0008',
  authToken: 'bearer-0009',
  dockerListSecret: 'docker-list-secret-0010',
};

let home: string;
let loaded: LoadedAgentConfig;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'cfg-mask-'));
  writeFileSync(
    join(home, 'clearml.conf'),
    `api {
  api_server: http://127.0.0.1:8008
  credentials { access_key: "AKVISIBLE", secret_key: "${SECRETS.apiSecret}" }
}
agent {
  git_user: alice
  git_pass: "${SECRETS.gitPass}"
  enable_git_ask_pass: true
  package_manager.extra_index_url: ["https://reader:${SECRETS.indexPass}@pypi.internal/simple"]
  extra_docker_arguments: ["--ipc=host", "-e", "DB_PASSWORD=${SECRETS.dockerListSecret}", "-e", "PLAIN=visible"]
  default_docker.arguments: "-e API_TOKEN=${SECRETS.dockerSecret} --network host"
}
sdk {
  aws.s3 { key: "AKIAVISIBLE", secret: "${SECRETS.s3Secret}" }
  azure.storage.containers: [{ account_name: "acct", account_key: "${SECRETS.azureKey}" }]
}
environment { MY_TOKEN: "${SECRETS.envToken}", PLAIN_SETTING: "also-masked" }
files { key { path: "~/.ssh/key", contents: "${SECRETS.fileContents}" } }
`,
  );
  loaded = await loadAgentConfig({ homeDir: home, env: { CLEARML_AUTH_TOKEN: SECRETS.authToken } });
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('maskSecrets + flattenConfig (the config printout)', () => {
  it('prints no secret value, of the raw tree or of the typed config', () => {
    const printed = [
      flattenConfig(maskSecrets(loaded.config.raw)).join('\n'),
      JSON.stringify(maskSecrets({ ...loaded.config, raw: undefined })),
    ];
    for (const text of printed) {
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    }
  });

  it('masks the keys clearml-agent masks and keeps the rest readable', () => {
    const lines = flattenConfig(maskSecrets(loaded.config.raw));
    expect(lines).toContain('api.credentials.access_key = AKVISIBLE');
    expect(lines).toContain('api.credentials.secret_key = ****');
    expect(lines).toContain('api.auth_token = ****');
    expect(lines).toContain('agent.git_user = alice');
    expect(lines).toContain('agent.git_pass = ****');
    expect(lines).toContain('agent.enable_git_ask_pass = true');
    expect(lines).toContain('api.auth.token_expiration_threshold_sec = 43200');
    expect(lines).toContain('agent.package_manager.extra_index_url = ["https://reader:***@pypi.internal/simple"]');
    expect(lines).toContain('agent.extra_docker_arguments = ["--ipc=host","-e","DB_PASSWORD=****","-e","PLAIN=visible"]');
    expect(lines).toContain('agent.default_docker.arguments = -e API_TOKEN=**** --network host');
    expect(lines).toContain('sdk.aws.s3.key = AKIAVISIBLE');
    expect(lines).toContain('sdk.aws.s3.secret = ****');
    expect(lines).toContain('sdk.azure.storage.containers = [{"account_name":"acct","account_key":"****"}]');
    expect(lines).toContain('environment.MY_TOKEN = ****');
    expect(lines).toContain('environment.PLAIN_SETTING = ****');
    expect(lines).toContain('files.key.contents = ****');
    expect(lines).toContain('files.key.path = ~/.ssh/key');
    expect(lines).toContain('agent.git_host = null');
  });

  it('leaves an unset secret visible as unset', () => {
    expect(maskSecrets({ agent: { git_pass: '' }, api: { secret_key: null } })).toEqual({
      agent: { git_pass: '' },
      api: { secret_key: null },
    });
  });

  it('quotes keys that contain dots and strings that span lines', () => {
    expect(flattenConfig({ a: { 'b.c': 'x\ny', empty: {} } })).toEqual(['a."b.c" = "x\\ny"', 'a.empty = {}']);
  });
});

describe('collectSecretValues (for log redaction)', () => {
  it('finds every secret, longest first, and nothing that is not one', () => {
    const values = collectSecretValues(loaded.config);
    for (const secret of Object.values(SECRETS).filter((value) => value !== SECRETS.fileContents)) {
      expect(values).toContain(secret);
    }
    expect(values).not.toContain('AKVISIBLE');
    expect(values).not.toContain('alice');
    expect(values).not.toContain('visible');
    expect(values).not.toContain('also-masked');
    const lengths = values.map((value) => value.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
  });

  it('leaves out values too short to redact safely', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-short-'));
    try {
      const { config } = await loadAgentConfig({ homeDir: dir, env: { CLEARML_AGENT_GIT_PASS: 'abc', CLEARML_API_SECRET_KEY: 'long-enough' } });
      expect(collectSecretValues(config)).toEqual(['long-enough']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
