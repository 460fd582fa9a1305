import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

// Lints in-memory sources as if they were files at the given paths, so each layer rule is
// proven to fire on a violating file (and to stay quiet on an allowed one).
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

async function restrictedImportMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer lint rules', () => {
  const cases: Array<[string, string, string]> = [
    ['src-main/engine/violation.ts', "import { app } from 'electron';\nexport const a = app;\n", 'electron'],
    ['src-main/engine/api/violation.ts', "import { ipcMain } from 'electron/main';\nexport const a = ipcMain;\n", 'electron'],
    ['src-main/server/violation.ts', "import { app } from 'electron';\nexport const a = app;\n", 'electron'],
    ['src-main/cli/violation.ts', "import { app } from 'electron';\nexport const a = app;\n", 'electron'],
    ['src-main/control/violation.ts', "import { app } from 'electron';\nexport const a = app;\n", 'electron'],
    ['src-shared/violation.ts', "import { app } from 'electron';\nexport const a = app;\n", 'electron'],
    ['src-renderer/violation.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n", 'Node built-ins'],
    ['src-renderer/violation2.ts', "import { readFileSync } from 'fs';\nexport const a = readFileSync;\n", 'Node built-ins'],
    ['src-renderer/violation3.ts', "import { app } from 'electron';\nexport const a = app;\n", 'electron'],
    ['src-renderer/violation4.ts', "import { x } from '../src-main/engine/x.js';\nexport const a = x;\n", 'bridge contract'],
    ['src-shared/violation2.ts', "import { x } from '../src-main/engine/x.js';\nexport const a = x;\n", 'imports nothing of ours'],
    ['src-shared/violation3.ts', "import { x } from '../src-renderer/store.js';\nexport const a = x;\n", 'imports nothing of ours'],
    ['src-main/engine/violation3.ts', "import { x } from '../control/x.js';\nexport const a = x;\n", 'only on src-shared'],
    ['src-main/engine/phases/violation4.ts', "import { x } from '../../app/main.js';\nexport const a = x;\n", 'only on src-shared'],
    ['src-main/server/violation5.ts', "import { x } from '../engine/api/client.js';\nexport const a = x;\n", 'only on src-shared'],
  ];
  it.each(cases)('%s is rejected', async (filePath, code, expected) => {
    const messages = await restrictedImportMessages(filePath, code);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.join('\n')).toContain(expected);
  });

  const allowed: Array<[string, string]> = [
    ['src-main/app/allowed.ts', "import { app } from 'electron';\nexport const a = app;\n"],
    ['src-main/engine/allowed.ts', "import { readFileSync } from 'node:fs';\nimport { x } from '../../src-shared/bridge.js';\nexport const a = [readFileSync, x];\n"],
    ['src-main/cli/allowed.ts', "import { x } from '../engine/x.js';\nimport { y } from '../server/y.js';\nexport const a = [x, y];\n"],
    ['src-renderer/allowed.ts', "import { x } from '../src-shared/bridge.js';\nexport const a = x;\n"],
  ];
  it.each(allowed)('%s is allowed', async (filePath, code) => {
    expect(await restrictedImportMessages(filePath, code)).toEqual([]);
  });
});
