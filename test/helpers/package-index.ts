/**
 * A real PEP 503 "simple" package index on 127.0.0.1 serving wheels built here, so pip installs
 * run offline and tests can count what pip asked for. Also: a pip environment isolated from the
 * machine's pip config, and a tiny local Python project with an in-tree build backend (for
 * `-e ./path` and `git+file://` requirements without setuptools or a network).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';

export interface TestPackage {
  /** Project name as published (any case/separators). */
  name: string;
  version: string;
  /** `Requires-Dist` lines, e.g. `tray-alpha>=1.0`. */
  requires?: string[];
  /** A wheel made elsewhere (e.g. a real pip, see repackagedPipWheel) instead of a generated one. */
  prebuilt?: BuiltWheel;
}

/** A couple of packages: alpha in two versions, beta depending on alpha, gamma with an odd name. */
export const TEST_PACKAGES: TestPackage[] = [
  { name: 'tray-alpha', version: '1.0' },
  { name: 'tray-alpha', version: '2.0' },
  { name: 'tray-beta', version: '1.0', requires: ['tray-alpha>=1.0'] },
  { name: 'Tray_Gamma', version: '0.3' },
];

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Wheel file names and dist-info folders spell the name with underscores. */
function distName(name: string): string {
  return name.replace(/[-_.]+/g, '_');
}

interface ZipEntry {
  name: string;
  data: Buffer;
}

/** A minimal zip writer (stored, no compression): all a wheel needs. */
export function writeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // 1980-01-01 00:00, the earliest DOS date; fixed so the same package gives the same bytes.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, entry.data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

function recordHash(data: Buffer): string {
  return `sha256=${createHash('sha256').update(data).digest('base64url')}`;
}

export interface BuiltWheel {
  filename: string;
  data: Buffer;
  sha256: string;
}

/** A pure-python `py3-none-any` wheel with `<module>/__init__.py` and a complete dist-info. */
export function buildWheel(pkg: TestPackage): BuiltWheel {
  const dist = distName(pkg.name);
  const module = dist.toLowerCase();
  const infoDir = `${dist}-${pkg.version}.dist-info`;
  const metadata = [
    'Metadata-Version: 2.1',
    `Name: ${pkg.name}`,
    `Version: ${pkg.version}`,
    ...(pkg.requires ?? []).map((r) => `Requires-Dist: ${r}`),
    '',
  ].join('\n');
  const files: ZipEntry[] = [
    { name: `${module}/__init__.py`, data: Buffer.from(`__version__ = "${pkg.version}"\n`) },
    { name: `${infoDir}/METADATA`, data: Buffer.from(metadata) },
    {
      name: `${infoDir}/WHEEL`,
      data: Buffer.from('Wheel-Version: 1.0\nGenerator: tray-agent-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
    },
  ];
  const record = [...files.map((f) => `${f.name},${recordHash(f.data)},${f.data.length}`), `${infoDir}/RECORD,,`, ''].join('\n');
  files.push({ name: `${infoDir}/RECORD`, data: Buffer.from(record) });
  const data = writeZip(files);
  return {
    filename: `${dist}-${pkg.version}-py3-none-any.whl`,
    data,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

export interface PackageIndex {
  /** The index URL for pip's `--index-url`, e.g. `http://127.0.0.1:PORT/simple/`. */
  url: string;
  /** `http://127.0.0.1:PORT` — further roots (`IndexOptions.roots`) live below it. */
  origin: string;
  /** Every request path, in order. */
  requests: string[];
  requestCount(): number;
  close(): Promise<void>;
}

function html(body: string): string {
  return `<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.0"></head><body>\n${body}\n</body></html>\n`;
}

export interface IndexOptions {
  /**
   * More PEP 503 indexes on the same server, by path prefix: `{ 'whl/cu128': [...] }` serves
   * `/whl/cu128/` (the project list), `/whl/cu128/<project>/` and its files, the layout of
   * download.pytorch.org. A prefix that is not here answers 404 (an index that does not exist).
   */
  roots?: Record<string, TestPackage[]>;
}

interface ServedWheel {
  project: string;
  wheel: BuiltWheel;
}

export async function startPackageIndex(packages: TestPackage[] = TEST_PACKAGES, options: IndexOptions = {}): Promise<PackageIndex> {
  const serve = (list: TestPackage[]): ServedWheel[] => list.map((pkg) => ({ project: normaliseName(pkg.name), wheel: pkg.prebuilt ?? buildWheel(pkg) }));
  const roots = new Map<string, ServedWheel[]>([['simple', serve(packages)]]);
  for (const [prefix, list] of Object.entries(options.roots ?? {})) roots.set(prefix.replace(/^\/+|\/+$/g, ''), serve(list));
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname);
    const send = (status: number, type: string, body: string | Buffer): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    // The main index's files live at /files/ (where they always did), other roots' below the root.
    const requestPath = decodeURIComponent(url.pathname)
      .replace(/^\/+|\/+$/g, '')
      .replace(/^files\//, 'simple/files/');
    // The longest prefix that names a root wins (`whl/cu128` before `whl`).
    const prefix = [...roots.keys()].filter((p) => requestPath === p || requestPath.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined) {
      send(404, 'text/plain', 'not found');
      return;
    }
    const wheels = roots.get(prefix)!;
    const rest = requestPath.slice(prefix.length).split('/').filter(Boolean);
    if (rest.length === 0) {
      const projects = [...new Set(wheels.map((w) => w.project))];
      send(200, 'text/html', html(projects.map((p) => `<a href="/${prefix}/${p}/">${p}</a>`).join('\n')));
      return;
    }
    if (rest.length === 1 && rest[0]) {
      const project = normaliseName(rest[0]);
      const files = wheels.filter((w) => w.project === project);
      if (files.length === 0) {
        send(404, 'text/plain', 'not found');
        return;
      }
      const filesBase = prefix === 'simple' ? '/files' : `/${prefix}/files`;
      const links = files.map((f) => `<a href="${filesBase}/${encodeURIComponent(f.wheel.filename)}#sha256=${f.wheel.sha256}">${f.wheel.filename}</a>`);
      send(200, 'text/html', html(links.join('\n')));
      return;
    }
    if (rest[0] === 'files' && rest.length === 2) {
      const file = wheels.find((w) => w.wheel.filename === rest[1]);
      if (file) {
        send(200, 'application/octet-stream', file.wheel.data);
        return;
      }
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    requestCount: () => requests.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const REPACKAGE_SCRIPT = String.raw`
import base64, hashlib, sys, zipfile
source, target, version = sys.argv[1:4]
def rec(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"
with zipfile.ZipFile(source) as zin:
    old_info = next(n.split("/")[0] for n in zin.namelist() if n.endswith(".dist-info/METADATA"))
    new_info = f"pip-{version}.dist-info"
    files = {}
    for name in zin.namelist():
        data = zin.read(name)
        if name.startswith(old_info + "/"):
            if name.endswith("/RECORD"):
                continue
            name = new_info + name[len(old_info):]
            if name.endswith("/METADATA"):
                lines = [f"Version: {version}" if l.startswith("Version:") else l for l in data.decode().split("\n")]
                data = "\n".join(lines).encode()
        if name == "pip/__init__.py":
            text = data.decode()
            start = text.index("__version__")
            end = text.index("\n", start)
            data = (text[:start] + f'__version__ = "{version}"' + text[end:]).encode()
        files[name] = data
    record = "\n".join([rec(n, d) for n, d in files.items()] + [f"{new_info}/RECORD,,", ""])
    files[f"{new_info}/RECORD"] = record.encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in files.items():
            zout.writestr(name, data)
`;

/** A real pip wheel of this machine (python3's ensurepip, or Debian's python-wheels). */
export function findLocalPipWheel(): string {
  const bundled = execFileSync('python3', ['-c', 'import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled"))'], { encoding: 'utf8' }).trim();
  for (const dir of [bundled, '/usr/share/python-wheels']) {
    const wheel = existsSync(dir) ? readdirSync(dir).find((f) => /^pip-.*\.whl$/.test(f)) : undefined;
    if (wheel) return path.join(dir, wheel);
  }
  throw new Error('no pip wheel on this machine (python3 -m ensurepip has none bundled and /usr/share/python-wheels is missing): install python3-venv');
}

/**
 * The machine's real pip, re-labelled as version `version` (metadata and `pip.__version__`): a
 * working pip whose version the tests choose, so `agent.package_manager.pip_version` can be
 * applied offline.
 */
export function repackagedPipWheel(version: string, workDir: string): BuiltWheel {
  const target = path.join(workDir, `pip-${version}-py3-none-any.whl`);
  execFileSync('python3', ['-c', REPACKAGE_SCRIPT, findLocalPipWheel(), target, version]);
  const data = readFileSync(target);
  return { filename: path.basename(target), data, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * The current environment with pip cut off from this machine's pip config, caches and indexes
 * (PIP_CONFIG_FILE=/dev/null is pip's documented "load no config files"), so only the index a
 * test names is ever asked.
 */
export function isolatedPipEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (!key.startsWith('PIP_') && !key.startsWith('UV_')) env[key] = value;
  }
  env.PIP_CONFIG_FILE = os.devNull;
  env.PIP_NO_CACHE_DIR = '1';
  env.PIP_RETRIES = '0';
  env.PIP_DEFAULT_TIMEOUT = '10';
  return env;
}

/** pip flags that make the test index the only index. */
export function indexFlags(index: PackageIndex): string[] {
  return ['--index-url', index.url];
}

const IN_TREE_BACKEND = String.raw`
"""A PEP 517/660 build backend small enough to live in a test: pure-python, no dependencies."""
import base64, hashlib, os, zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))
DIST, VERSION = open(os.path.join(ROOT, "NAME")).read().split()

def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"

def _write(wheel_directory, files):
    info = f"{DIST}-{VERSION}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {VERSION}\n".encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: in-tree\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,", ""]
    files[f"{info}/RECORD"] = "\n".join(record).encode()
    name = f"{DIST}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for n, d in files.items():
            z.writestr(n, d)
    return name

def get_requires_for_build_wheel(config_settings=None):
    return []

def get_requires_for_build_editable(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    src = os.path.join(ROOT, DIST)
    files = {}
    for f in sorted(os.listdir(src)):
        with open(os.path.join(src, f), "rb") as fh:
            files[f"{DIST}/{f}"] = fh.read()
    return _write(wheel_directory, files)

def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _write(wheel_directory, {f"_{DIST}_editable.pth": (ROOT + "\n").encode()})
`;

/**
 * A local project `dir` installable with pip offline (`-e dir`, `dir`, `git+file://dir`):
 * module `<module>` with `__version__`, built by an in-tree backend.
 */
export async function writeLocalPythonProject(dir: string, module: string, version: string): Promise<void> {
  await mkdir(path.join(dir, module), { recursive: true });
  await writeFile(path.join(dir, module, '__init__.py'), `__version__ = "${version}"\n`);
  await writeFile(path.join(dir, 'NAME'), `${module} ${version}\n`);
  await writeFile(path.join(dir, 'backend.py'), IN_TREE_BACKEND);
  await writeFile(
    path.join(dir, 'pyproject.toml'),
    `[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n`,
  );
}
