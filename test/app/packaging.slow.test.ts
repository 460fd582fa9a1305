import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { parse } from 'yaml';
import asar from '@electron/asar';

// Packaging smoke check without the Electron binary (it cannot be downloaded here):
// electron-builder --dir with electron-builder.yml and a STAND-IN electronDist (a shell script
// where the Electron executable would be). Proves the bundle holds main, preload, renderer, the
// tray icons and the production dependencies, and nothing from test/ or the devDependencies.

const repo = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const electronVersion = (JSON.parse(readFileSync(join(repo, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
/** Bundled into out/renderer by Vite and left out of node_modules on purpose (electron-builder.yml). */
const bundledIntoRenderer = ['react', 'react-dom', 'zustand', 'uplot', 'anser', 'lucide-react', 'clsx', '@tanstack/react-virtual'];

let work: string;
let unpacked: string;
let files: string[];

beforeAll(async () => {
  execFileSync(process.execPath, [join(repo, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: repo, stdio: 'pipe' });
  work = mkdtempSync(join(tmpdir(), 'tray-agent-pack-'));
  const project = join(work, 'project');
  mkdirSync(project);
  // A real node_modules tree (hard links: no copy), as a release machine has after `npm ci`;
  // npm cannot list a symlinked node_modules folder, which our worktrees use.
  execFileSync('cp', ['-al', realpathSync(join(repo, 'node_modules')), join(project, 'node_modules')]);
  for (const entry of ['package.json', 'package-lock.json', 'electron-builder.yml']) cpSync(join(repo, entry), join(project, entry));
  for (const dir of ['out', 'bin', 'assets', 'examples']) cpSync(join(repo, dir), join(project, dir), { recursive: true });
  // Things that must not ship even when they sit in the project folder.
  mkdirSync(join(project, 'test'));
  writeFileSync(join(project, 'test', 'must-not-ship.test.ts'), 'export {};\n');
  writeFileSync(join(project, 'out', 'main', 'main.js.map'), '{}');

  const electronDist = join(work, 'electron-stand-in');
  mkdirSync(join(electronDist, 'resources'), { recursive: true });
  writeFileSync(join(electronDist, 'electron'), '#!/bin/sh\necho "stand-in for the Electron binary"\n');
  chmodSync(join(electronDist, 'electron'), 0o755);
  writeFileSync(join(electronDist, 'LICENSE'), 'stand-in\n');

  const config = parse(readFileSync(join(project, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
  // Fuses are flipped inside the real binary; the stand-in has none.
  const smokeConfig = { ...config, electronDist, electronVersion, electronFuses: null, directories: { output: join(work, 'dist'), buildResources: 'assets' } };
  writeFileSync(join(work, 'electron-builder.smoke.json'), JSON.stringify(smokeConfig));
  // The electron-builder CLI, as a release runs it (`--dir`: the unpacked app, no installer).
  execFileSync(process.execPath, [join(repo, 'node_modules', 'electron-builder', 'cli.js'), '--linux', '--dir', '--publish', 'never', '--projectDir', project, '--config', join(work, 'electron-builder.smoke.json')], {
    cwd: project,
    stdio: 'pipe',
    env: { ...process.env, NODE_ENV: 'production', VITEST: undefined, CI: undefined },
  });
  unpacked = join(work, 'dist', 'linux-unpacked');
  files = asar.listPackage(join(unpacked, 'resources', 'app.asar'), { isPack: false }).map((f) => f.replace(/\\/g, '/'));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const topLevelModules = () => new Set(files.filter((f) => /^\/node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(f)).map((f) => f.replace(/^\/node_modules\//, '').replace(/\/package\.json$/, '')));

describe('packaged app (electron-builder --dir, stand-in Electron)', () => {
  it('has the executable under its name, the main, preload and renderer bundles, and the bin', () => {
    expect(statSync(join(unpacked, 'tray-agent')).mode & 0o111).toBeTruthy();
    for (const file of ['/package.json', '/bin/tray-agent.js', '/out/main/main.js', '/out/main/cli.js', '/out/preload/preload.cjs', '/out/renderer/index.html']) expect(files).toContain(file);
    expect(files.some((f) => /^\/out\/renderer\/assets\/index-.*\.js$/.test(f))).toBe(true);
    expect(files.some((f) => /^\/out\/renderer\/assets\/index-.*\.css$/.test(f))).toBe(true);
  });

  it('the preload is a self-contained CommonJS file that needs only electron (sandboxed preloads can load nothing else)', () => {
    const preload = readFileSync(join(repo, 'out', 'preload', 'preload.cjs'), 'utf8');
    expect([...new Set([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]))]).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    expect(preload).toContain('exposeInMainWorld("trayAgent"');
  });

  it('has every tray icon and the example task as resources outside the asar', () => {
    const icons = readdirSync(join(unpacked, 'resources', 'assets', 'tray'));
    for (const state of ['idle', 'running', 'paused', 'error']) {
      for (const name of [`${state}-24.png`, `${state}-32.png`, `${state}-48.png`, `${state}Template.png`, `${state}Template@2x.png`, `${state}.ico`]) expect(icons).toContain(name);
    }
    expect(existsSync(join(unpacked, 'resources', 'examples', 'hello-world', 'train.py'))).toBe(true);
  });

  it('holds nothing from test/, no sources, no source maps', () => {
    expect(files.filter((f) => f.startsWith('/test') || f.startsWith('/src-') || f.startsWith('/bench') || f.endsWith('.map') && !f.startsWith('/node_modules/'))).toEqual([]);
  });

  it('holds the production dependencies and none of the development ones', () => {
    const modules = topLevelModules();
    for (const dependency of Object.keys(pkg.dependencies).filter((d) => !bundledIntoRenderer.includes(d))) expect(modules, dependency).toContain(dependency);
    for (const bundled of bundledIntoRenderer) expect(modules, bundled).not.toContain(bundled);
    const devOnly = Object.keys(pkg.devDependencies).filter((d) => !d.startsWith('@types/'));
    expect(devOnly.filter((d) => modules.has(d))).toEqual([]);
  });

  it('every package the main bundles import is in the package', () => {
    const builtins = new Set([...builtinModules, 'electron']);
    const sources = readdirSync(join(repo, 'out', 'main'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(repo, 'out', 'main', f), 'utf8'));
    const imported = new Set<string>();
    for (const source of sources) {
      const statements = [...source.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/gm), ...source.matchAll(/^\s*import\s*["']([^"']+)["']/gm), ...source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)];
      for (const match of statements) {
        const spec = match[1]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec.split('/')[0]!)) continue;
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    const modules = topLevelModules();
    expect([...imported].filter((name) => !modules.has(name))).toEqual([]);
  });

  it('no native module is left inside the asar (each .node file a dependency brings is unpacked)', () => {
    const unpackedDir = join(unpacked, 'resources', 'app.asar.unpacked');
    const unpackedNative = existsSync(unpackedDir) ? readdirSync(unpackedDir, { recursive: true }).map(String).filter((f) => f.endsWith('.node')) : [];
    const nativeInAsar = files.filter((f) => f.endsWith('.node'));
    expect(nativeInAsar.filter((f) => !unpackedNative.some((u) => `/${u}` === f))).toEqual([]);
    // The embedded server needs none: it uses node:sqlite.
    expect(files.some((f) => f.startsWith('/node_modules/better-sqlite3/'))).toBe(false);
  });
});
