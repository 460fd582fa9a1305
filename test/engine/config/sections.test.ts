import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEnvironmentSection, applyFilesSection, loadAgentConfig } from '../../../src-main/engine/config/index.js';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cfg-sections-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

async function loadFrom(text: string, env: Record<string, string> = {}) {
  writeFileSync(join(home, 'clearml.conf'), text);
  return (await loadAgentConfig({ homeDir: home, env: { HOME: home, ...env } })).config;
}

describe('applyEnvironmentSection', () => {
  it('exports every environment {} entry as text into the given env', async () => {
    const config = await loadFrom('environment { AWS_PROFILE: research, THREADS: 8, "DOTTED.NAME": yes, DEBUG: true }\n');
    const env: Record<string, string | undefined> = { KEEP: '1' };
    expect(applyEnvironmentSection(config, env).sort()).toEqual(['AWS_PROFILE', 'DEBUG', 'DOTTED.NAME', 'THREADS']);
    expect(env).toEqual({ KEEP: '1', AWS_PROFILE: 'research', THREADS: '8', 'DOTTED.NAME': 'yes', DEBUG: 'true' });
  });

  it('does nothing when agent.apply_environment (or CLEARML_AGENT_ENABLE_ENV_CONFIG_SECTION) is off', async () => {
    const env: Record<string, string | undefined> = {};
    const fromFile = await loadFrom('agent.apply_environment: false\nenvironment { A: 1 }\n');
    expect(applyEnvironmentSection(fromFile, env)).toEqual([]);
    const fromEnv = await loadFrom('environment { A: 1 }\n', { CLEARML_AGENT_ENABLE_ENV_CONFIG_SECTION: 'false' });
    expect(applyEnvironmentSection(fromEnv, env)).toEqual([]);
    expect(env).toEqual({});
  });
});

describe('applyFilesSection', () => {
  it('writes text, base64 and structured contents with ~ and $VARS expanded, owner-only by default', async () => {
    const config = await loadFrom(`files {
  note { path: "~/out/note.txt", contents: "The quick brown fox" }
  binary { path: "$OUT_DIR/blob.bin", contents: "${Buffer.from([0, 1, 2, 255]).toString('base64')}", format: base64, mode: "0640" }
  settings { path: "\${OUT_DIR}/settings.json", contents: { nested: { value: 1 }, list: [1, 2] }, target_format: json }
}
`);
    const outDir = join(home, 'elsewhere');
    const results = await applyFilesSection(config, { env: { OUT_DIR: outDir }, homeDir: home });
    expect(results).toEqual([
      { name: 'note', path: join(home, 'out/note.txt'), status: 'written' },
      { name: 'binary', path: join(outDir, 'blob.bin'), status: 'written' },
      { name: 'settings', path: join(outDir, 'settings.json'), status: 'written' },
    ]);
    expect(readFileSync(join(home, 'out/note.txt'), 'utf8')).toBe('The quick brown fox');
    expect(statSync(join(home, 'out/note.txt')).mode & 0o777).toBe(0o600);
    expect([...readFileSync(join(outDir, 'blob.bin'))]).toEqual([0, 1, 2, 255]);
    expect(statSync(join(outDir, 'blob.bin')).mode & 0o777).toBe(0o640);
    expect(JSON.parse(readFileSync(join(outDir, 'settings.json'), 'utf8'))).toEqual({ nested: { value: 1 }, list: [1, 2] });
    expect(readdirSync(outDir).sort()).toEqual(['blob.bin', 'settings.json']);
  });

  it('keeps an existing file when overwrite is false, and keeps its mode when overwriting without one', async () => {
    mkdirSync(join(home, 'out'));
    writeFileSync(join(home, 'out/keep.txt'), 'original', { mode: 0o644 });
    writeFileSync(join(home, 'out/replace.txt'), 'old', { mode: 0o644 });
    const config = await loadFrom(`files {
  keep { path: "~/out/keep.txt", contents: "new", overwrite: false }
  replace { path: "~/out/replace.txt", contents: "new" }
}
`);
    const results = await applyFilesSection(config, { env: {}, homeDir: home });
    expect(results.map((result) => result.status)).toEqual(['kept', 'written']);
    expect(readFileSync(join(home, 'out/keep.txt'), 'utf8')).toBe('original');
    expect(readFileSync(join(home, 'out/replace.txt'), 'utf8')).toBe('new');
    expect(statSync(join(home, 'out/replace.txt')).mode & 0o777).toBe(0o644);
  });

  it('reports a failing entry, writes the others and leaves no temporary file behind', async () => {
    writeFileSync(join(home, 'blocker'), 'a file where a folder is needed');
    const config = await loadFrom(`files {
  bad { path: "~/blocker/inside.txt", contents: "x" }
  notbase64 { path: "~/nb.txt", contents: "%%%", format: base64 }
  good { path: "~/good.txt", contents: "ok" }
}
`);
    const results = await applyFilesSection(config, { env: {}, homeDir: home });
    expect(results.map((result) => [result.name, result.status])).toEqual([
      ['bad', 'failed'],
      ['notbase64', 'failed'],
      ['good', 'written'],
    ]);
    expect(results[0]?.error).toMatch(/^files\.bad: /);
    expect(results[1]?.error).toBe('files.notbase64: format is base64 but contents is not base64 text');
    expect(readdirSync(home).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('does nothing when agent.apply_files is off', async () => {
    const config = await loadFrom('agent.apply_files: false\nfiles { a { path: "~/a.txt", contents: "x" } }\n');
    expect(await applyFilesSection(config, { env: {}, homeDir: home })).toEqual([]);
    expect(readdirSync(home)).toEqual(['clearml.conf']);
  });

  it('rejects an entry without a path or with a bad mode when the configuration is loaded', async () => {
    await expect(loadFrom('files { a { contents: "x" } }\n')).rejects.toThrow(
      'files.a.path: expected the path of the file to write, got nothing (~/clearml.conf line 1)',
    );
    await expect(loadFrom('files {\n  a { path: "/x", mode: "rw-r--r--" }\n}\n')).rejects.toThrow(
      'files.a.mode: expected an octal file mode such as "0600" or "644", got "rw-r--r--" (~/clearml.conf line 2)',
    );
  });
});
