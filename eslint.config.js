// Lint, including the rules that keep the layers of DESIGN.md apart:
//   renderer → shared;  app|dashboard → control → engine|server → shared;  cli → control|engine|server;
//   server → shared. Nothing but src-main/app may import electron.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const electronImports = [{ name: 'electron', message: 'Only src-main/app may import electron (the engine must run under plain Node).' }];
const electronPatterns = [{ group: ['electron/*'], message: 'Only src-main/app may import electron.' }];
const nodeBuiltins = [
  ...builtinModules.map((name) => ({ name, message: 'The renderer runs in a sandboxed page: no Node built-ins; ask the bridge.' })),
];
const nodePatterns = [{ group: ['node:*'], message: 'The renderer runs in a sandboxed page: no Node built-ins; ask the bridge.' }];

/**
 * Matches a relative import that climbs out of this layer into one of `folders`
 * (`../control/x.js`, `../../src-main/engine/y.js`), the way our sources import each other.
 */
function folderImportRegex(folders) {
  const names = folders.join('|');
  return `^(\\.\\./)+(.*/)?(${names})(/|$)`;
}

/** no-restricted-imports for one layer: the electron ban plus the folders it may not reach. */
function layerRule({ banElectron = true, banNode = false, folders = [], message }) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: [...(banElectron ? electronImports : []), ...(banNode ? nodeBuiltins : [])],
        patterns: [
          ...(banElectron ? electronPatterns : []),
          ...(banNode ? nodePatterns : []),
          ...(folders.length ? [{ regex: folderImportRegex(folders), message }] : []),
        ],
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'coverage/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src-main/engine/**'],
    rules: layerRule({ folders: ['control', 'app', 'dashboard', 'cli', 'server', 'src-renderer'], message: 'The engine depends only on src-shared.' }),
  },
  {
    files: ['src-main/server/**'],
    rules: layerRule({ folders: ['engine', 'control', 'app', 'dashboard', 'cli', 'src-renderer'], message: 'The server depends only on src-shared.' }),
  },
  {
    files: ['src-main/control/**'],
    // control starts and stops the embedded server (DESIGN.md), so it may reach server/ too.
    rules: layerRule({ folders: ['app', 'dashboard', 'cli', 'src-renderer'], message: 'control depends on the engine, the server and src-shared only.' }),
  },
  {
    files: ['src-main/cli/**'],
    rules: layerRule({ folders: ['app', 'dashboard', 'src-renderer'], message: 'The CLI runs without Electron or a UI.' }),
  },
  {
    files: ['src-main/dashboard/**'],
    rules: layerRule({ folders: ['app', 'src-renderer', 'cli'], message: 'The dashboard serves control over HTTP; it never needs Electron.' }),
  },
  {
    files: ['src-shared/**'],
    rules: layerRule({ banNode: true, folders: ['src-main', 'src-renderer'], message: 'src-shared imports nothing of ours.' }),
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: layerRule({ banNode: true, folders: ['src-main'], message: 'The renderer talks only to the bridge contract in src-shared.' }),
  },
);
