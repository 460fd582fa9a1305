import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

// The two rules of the Electron side of the bridge: raw ipcMain/ipcRenderer only in the typed
// wrappers, and src-main/app reaching the engine only through src-main/control.
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('raw IPC ban', () => {
  it.each([
    ['src-main/app/tray-app-violation.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n"],
    ['src-main/app/preload-violation.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n"],
    ['src-main/app/sub/violation.ts', "import { app, ipcMain } from 'electron/main';\nexport const a = [app, ipcMain];\n"],
    ['src-main/app/ns-violation.ts', "import * as electron from 'electron';\nexport const a = electron;\n"],
  ])('%s is rejected', async (filePath, code) => {
    expect((await restricted(filePath, code)).join('\n')).toContain('typed bridge wrappers');
  });

  it('the wrappers may use raw IPC, other app modules may use the rest of electron', async () => {
    expect(await restricted('src-main/app/ipc/ipc-main.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n")).toEqual([]);
    expect(await restricted('src-main/app/ipc/ipc-renderer.ts', "import { ipcRenderer, contextBridge } from 'electron';\nexport const a = [ipcRenderer, contextBridge];\n")).toEqual([]);
    expect(await restricted('src-main/app/tray.ts', "import { Tray, Menu } from 'electron';\nexport const a = [Tray, Menu];\n")).toEqual([]);
  });

  it('outside src-main/app electron stays banned altogether', async () => {
    expect((await restricted('src-main/dashboard/x.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n")).join('\n')).toContain('Only src-main/app may import electron');
  });
});

describe('src-main/app reaches the engine only through control', () => {
  it.each([
    ["import { x } from '../engine/daemon/start-daemon.js';", 'src-main/app/violation.ts'],
    ["import { x } from '../../engine/config/index.js';", 'src-main/app/ipc/violation.ts'],
    ["import { x } from '../server/index.js';", 'src-main/app/violation2.ts'],
    ["import { x } from '../cli/main.js';", 'src-main/app/violation3.ts'],
    ["import { x } from '../dashboard/index.js';", 'src-main/app/violation4.ts'],
    ["import { x } from '../../src-renderer/App.js';", 'src-main/app/violation5.ts'],
  ])('%s in %s is rejected', async (line, filePath) => {
    expect((await restricted(filePath, `${line}\nexport const a = x;\n`)).join('\n')).toContain('may import only src-main/control and src-shared');
  });

  it('control and src-shared are allowed', async () => {
    expect(await restricted('src-main/app/allowed.ts', "import { x } from '../control/index.js';\nimport { y } from '../../src-shared/bridge.js';\nexport const a = [x, y];\n")).toEqual([]);
  });

  it('the real app sources pass both rules', async () => {
    const results = await eslint.lintFiles(['src-main/app/**/*.ts']);
    const messages = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}: ${m.message}`));
    expect(messages).toEqual([]);
    expect(results.length).toBeGreaterThan(10);
  });
});
