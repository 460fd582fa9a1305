import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderApiSection } from '../../../src-main/engine/config/api-section.js';
import { loadAgentConfig } from '../../../src-main/engine/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'api-section-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readBack(text: string) {
  const file = join(dir, `clearml-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, text);
  return (await loadAgentConfig({ configFile: file, env: {}, homeDir: dir })).config.api;
}

describe("clearml.conf's api section", () => {
  it('quotes every value by default and reads back through the config loader', async () => {
    const text = renderApiSection({ apiServer: 'http://127.0.0.1:8008', webServer: 'http://127.0.0.1:8080', filesServer: null, accessKey: 'AK', secretKey: 'S"K' });
    expect(text).toBe('api {\n    api_server: "http://127.0.0.1:8008"\n    web_server: "http://127.0.0.1:8080"\n    credentials {\n        "access_key" = "AK"\n        "secret_key" = "S\\"K"\n    }\n}\n');
    const api = await readBack(text);
    expect(api.apiServer).toBe('http://127.0.0.1:8008');
    expect(api.webServer).toBe('http://127.0.0.1:8080');
    expect(api.credentials).toMatchObject({ accessKey: 'AK', secretKey: 'S"K' });
  });

  it("bare URLs as the web app's block has them, with comments; still read back", async () => {
    const text = renderApiSection({ apiServer: 'http://127.0.0.1:8008', accessKey: 'AK', secretKey: 'SK' }, { comments: ['a note'], bareUrls: true });
    expect(text).toBe('api {\n    # a note\n    api_server: http://127.0.0.1:8008\n    credentials {\n        "access_key" = "AK"\n        "secret_key" = "SK"\n    }\n}\n');
    expect((await readBack(text)).apiServer).toBe('http://127.0.0.1:8008');
  });

  it('bare style still quotes what HOCON would misread bare (an IPv6 host, a query, a second //)', async () => {
    for (const url of ['http://[::1]:8008', 'https://h/api?x=1', 'http://h//x']) {
      const text = renderApiSection({ apiServer: url, accessKey: 'AK', secretKey: 'SK' }, { bareUrls: true });
      expect(text).toContain(`api_server: ${JSON.stringify(url)}`);
      expect((await readBack(text)).apiServer).toBe(url);
    }
  });
});
