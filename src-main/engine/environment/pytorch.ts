/**
 * PyTorch index resolution (`agent.package_manager.pytorch_resolve`), as clearml-agent does it:
 * for torch packages, find the pytorch.org index of the machine's CUDA version — walking down
 * from the detected version until an index answers — and let pip pick the wheel there (`pip`),
 * or pick the wheel ourselves and install it by URL (`direct`). `none` leaves the lines alone.
 * The planning is pure; the HTTP probes come in through `fetchText`.
 */
import { normaliseProjectName, parseRequirementLine } from './requirements.js';
import type { Pep440Version } from './pep440.js';
import { compareVersions, parseVersion, satisfies, specifierClauses } from './pep440.js';

export type PytorchResolve = 'pip' | 'direct' | 'none';

export const TORCH_PACKAGES = ['torch', 'torchvision', 'torchaudio', 'torchtext', 'torchcsprng'] as const;

export const DEFAULT_TORCH_INDEX_TEMPLATE = 'https://download.pytorch.org/whl/cu{}/';
export const DEFAULT_TORCH_NIGHTLY_INDEX_TEMPLATE = 'https://download.pytorch.org/whl/nightly/cu{}/';
/** clearml-agent probes the detected CUDA version and the 14 below it. */
export const CUDA_WALK_DOWN = 15;

export interface TorchOptions {
  resolve: PytorchResolve;
  nightly: boolean;
  /** `{}` is the CUDA version as digits (121); the CPU index replaces `cu{}` with `cpu`. */
  extraIndexUrlTemplate: string;
  nightlyExtraIndexUrlTemplate: string;
  /** direct mode: a links page to scrape instead of `<index>/<project>/` (`{}` = CUDA). */
  torchPage: string | null;
  torchNightlyPage: string | null;
  /** direct mode, last resort: a wheel URL built from fields (clearml-agent's `PytorchWheel`). */
  torchUrlTemplatePrefix: string | null;
  torchUrlTemplate: string | null;
}

export function defaultTorchOptions(overrides: Partial<TorchOptions> = {}): TorchOptions {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined && v !== null && v !== '')) as Partial<TorchOptions>;
  return {
    resolve: 'pip',
    nightly: false,
    extraIndexUrlTemplate: DEFAULT_TORCH_INDEX_TEMPLATE,
    nightlyExtraIndexUrlTemplate: DEFAULT_TORCH_NIGHTLY_INDEX_TEMPLATE,
    torchPage: null,
    torchNightlyPage: null,
    torchUrlTemplatePrefix: null,
    torchUrlTemplate: null,
    ...defined,
  };
}

export function isTorchPackage(name: string): boolean {
  return (TORCH_PACKAGES as readonly string[]).includes(normaliseProjectName(name));
}

/** The torch requirement lines of an install list (plain `name spec` lines only). */
export function torchLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    const parsed = parseRequirementLine(line);
    return parsed.kind === 'package' && isTorchPackage(parsed.name);
  });
}

/** Pure: the index URLs to try for CUDA `cuda` (digits, `121`), best first; CPU → the cpu index. */
export function torchIndexCandidates(cuda: number | null, template: string): { cuda: number; url: string }[] {
  if (!cuda || cuda <= 0) return [{ cuda: 0, url: cpuIndexUrl(template) }];
  const candidates: { cuda: number; url: string }[] = [];
  for (let c = cuda; c > Math.max(0, cuda - CUDA_WALK_DOWN); c -= 1) candidates.push({ cuda: c, url: template.replaceAll('{}', String(c)) });
  return candidates;
}

export function cpuIndexUrl(template: string): string {
  return template.includes('cu{}') ? template.replaceAll('cu{}', 'cpu') : template.replaceAll('{}', 'cpu');
}

interface SplitLine {
  name: string;
  extras: string;
  clauses: string[];
  marker: string;
}

function splitPackageLine(line: string): SplitLine | null {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*?)\s*(?:;\s*(.*))?$/.exec(line);
  if (!m?.[1]) return null;
  const spec = (m[3] ?? '').replace(/\s+/g, '');
  return { name: m[1], extras: m[2] ?? '', clauses: spec ? spec.split(',').filter(Boolean) : [], marker: (m[4] ?? '').trim() };
}

/**
 * Pure: a torch line for the `pip` resolver. An exact 3-part pin loses its local label and
 * becomes a prefix match (`torch==2.1.0+cu118` → `torch==2.1.0.*`), so the CUDA index's
 * `+cuXXX` build and NVIDIA containers' `2.1.0a0+…` builds both satisfy it.
 */
export function relaxTorchPin(line: string): string {
  const split = splitPackageLine(line);
  if (!split || split.clauses.length !== 1) return line;
  const [clause] = split.clauses as [string];
  const m = /^==([^*]+)$/.exec(clause);
  if (!m?.[1]) return line;
  const withoutLocal = m[1].split('+')[0]!;
  const version = parseVersion(withoutLocal);
  if (!version) return line;
  const plain = version.pre === null && version.post === null && version.dev === null;
  const spec = plain && version.release.length === 3 ? `==${withoutLocal}.*` : `==${withoutLocal}`;
  return `${split.name}${split.extras}${spec}${split.marker ? ` ; ${split.marker}` : ''}`;
}

/** Pure: torch older than 1.11 needs `setuptools<59` (its build helpers use removed APIs). */
export function needsOldSetuptools(line: string): boolean {
  const split = splitPackageLine(line);
  if (!split || normaliseProjectName(split.name) !== 'torch') return false;
  return split.clauses.some((clause) => {
    const m = /^(==|<=|<|~=)(\d+(?:\.\d+)*)/.exec(clause);
    if (!m?.[1] || !m[2]) return false;
    // `<V` allows only versions below 1.11 when V itself is at most 1.11.
    if (m[1] === '<') return !satisfies(m[2], '>1.11.0');
    return satisfies(m[2], '<1.11.0');
  });
}

export interface WheelLink {
  filename: string;
  url: string;
}

/** Pure: wheel links of a PEP 503 page or a find-links page, made absolute against `pageUrl`. */
export function parseWheelLinks(html: string, pageUrl: string): WheelLink[] {
  const links: WheelLink[] = [];
  for (const m of html.matchAll(/<a\s[^>]*href\s*=\s*["']([^"']+)["'][^>]*>/gi)) {
    const href = m[1]!.replaceAll('&amp;', '&');
    let url: URL;
    try {
      url = new URL(href, pageUrl);
    } catch {
      continue;
    }
    const filename = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    if (filename.endsWith('.whl')) links.push({ filename, url: url.toString() });
  }
  return links;
}

export interface WheelTarget {
  /** `X.Y` of the environment's python. */
  pythonVersion: string;
  /** `sysconfig.get_platform()` of the interpreter, e.g. `linux-x86_64`. */
  platform: string;
}

function wheelTagsMatch(pyTag: string, abiTag: string, platTag: string, target: WheelTarget): boolean {
  const [major, minor] = target.pythonVersion.split('.');
  const cp = `cp${major}${minor}`;
  const pyOk = pyTag.split('.').some((t) => t === cp || t === `py${major}` || t === `py${major}${minor}`);
  const abiOk = abiTag.split('.').some((t) => t === 'none' || t === 'abi3' || t.startsWith(cp));
  const arch = target.platform.split('-').pop() ?? '';
  const os = target.platform.split('-')[0] ?? '';
  const platOk = platTag.split('.').some((t) => {
    if (t === 'any') return true;
    if (os === 'linux') return (t.startsWith('linux_') || t.startsWith('manylinux')) && t.endsWith(arch);
    if (os === 'win') return t.startsWith('win') && (arch === 'amd64' ? t.endsWith('amd64') : true);
    if (os === 'macosx') return t.startsWith('macosx');
    return false;
  });
  return pyOk && abiOk && platOk;
}

/**
 * Pure: the best wheel for `line` among `links` — name, python, platform and version specifiers
 * must fit; the highest version wins. Null when none does.
 */
export function pickWheel(line: string, links: readonly WheelLink[], target: WheelTarget): { url: string; version: string } | null {
  const split = splitPackageLine(line);
  if (!split) return null;
  const project = normaliseProjectName(split.name);
  const spec = split.clauses.map((c) => c.replace(/\+[^,]*$/, '')).join(',');
  let best: { url: string; version: string; parsed: Pep440Version } | null = null;
  for (const link of links) {
    const parts = link.filename.slice(0, -4).split('-');
    if (parts.length < 5) continue;
    const [dist, version, ...rest] = parts as [string, string, ...string[]];
    const [pyTag, abiTag, platTag] = rest.slice(-3) as [string, string, string];
    if (normaliseProjectName(dist) !== project) continue;
    if (!wheelTagsMatch(pyTag, abiTag, platTag, target)) continue;
    const parsed = parseVersion(version);
    if (!parsed) continue;
    try {
      if (spec && !satisfies(version, spec)) continue;
    } catch {
      return null;
    }
    if (!best || comparePicked(parsed, best.parsed) > 0) best = { url: link.url, version, parsed };
  }
  return best ? { url: best.url, version: best.version } : null;
}

function comparePicked(a: Pep440Version, b: Pep440Version): number {
  return compareVersions(a, b);
}

/**
 * Pure: clearml-agent's `torch_url_template_prefix` + `torch_url_template`, a Python format
 * string over `{0.cuda_version}` (`cu121`/`cpu`), `{0.torch_version}`, `{0.python}` (`311`),
 * `{0.os_name}` (`linux_x86_64`) and `{0.unicode}` (empty on Python 3).
 */
export function formatTorchUrlTemplate(template: string, fields: { cuda: number; torchVersion: string; pythonVersion: string; osName: string }): string {
  const values: Record<string, string> = {
    cuda_version: fields.cuda > 0 ? `cu${fields.cuda}` : 'cpu',
    torch_version: fields.torchVersion,
    python: fields.pythonVersion.split('.').slice(0, 2).join(''),
    os_name: fields.osName,
    unicode: '',
  };
  return template.replace(/\{0\.([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The exact version a torch line pins (`==2.1.0`), if any. */
export function pinnedVersion(line: string): string | null {
  const split = splitPackageLine(line);
  if (!split || split.clauses.length !== 1) return null;
  const m = /^==([^*]+)$/.exec(split.clauses[0]!);
  return m?.[1]?.split('+')[0] ?? null;
}

export interface TorchResolution {
  /** The lines to install instead of the torch lines, in the same order (plus setuptools<59). */
  lines: string[];
  /** The pytorch index to add as `--extra-index-url`, or null. */
  indexUrl: string | null;
  /** The CUDA version the index was chosen for (0 = cpu), or null when none was found. */
  cuda: number | null;
  /** `name @ url` lines installed directly, mapped back to `name==version` when freezing. */
  directUrls: Map<string, string>;
  notes: string[];
}

export interface TorchResolveInput {
  lines: readonly string[];
  options: TorchOptions;
  /** Detected or configured CUDA version as digits (`121`); null or 0 = no GPU. */
  cuda: number | null;
  target: WheelTarget;
  osName: string;
  /** GET `url`: the body for a 200 answer, null for anything else (never throws). */
  fetchText: (url: string) => Promise<string | null>;
}

const foundIndexes = new Map<string, { url: string; cuda: number }>();

async function findIndex(template: string, cuda: number | null, fetchText: TorchResolveInput['fetchText'], tried: string[]): Promise<{ url: string; cuda: number } | null> {
  const memoKey = `${template}\u0000${cuda ?? 0}`;
  const memo = foundIndexes.get(memoKey);
  if (memo) return memo;
  for (const candidate of torchIndexCandidates(cuda, template)) {
    tried.push(candidate.url);
    if ((await fetchText(candidate.url)) !== null) {
      foundIndexes.set(memoKey, candidate);
      return candidate;
    }
  }
  return null;
}

/** Forgets the indexes found so far (tests; a changed template is a different memo key anyway). */
export function forgetFoundTorchIndexes(): void {
  foundIndexes.clear();
}

async function directLine(line: string, index: { url: string; cuda: number }, input: TorchResolveInput): Promise<{ url: string; version: string } | null> {
  const split = splitPackageLine(line);
  if (!split) return null;
  const project = normaliseProjectName(split.name);
  const pageTemplate = input.options.torchPage;
  const pageUrl = pageTemplate ? pageTemplate.replaceAll('{}', String(index.cuda)) : new URL(`${project}/`, index.url).toString();
  const html = await input.fetchText(pageUrl);
  const picked = html ? pickWheel(line, parseWheelLinks(html, pageUrl), input.target) : null;
  if (picked) return picked;
  const version = pinnedVersion(line);
  if (input.options.torchUrlTemplate && version) {
    const url = formatTorchUrlTemplate(`${input.options.torchUrlTemplatePrefix ?? ''}${input.options.torchUrlTemplate}`, {
      cuda: index.cuda,
      torchVersion: version,
      pythonVersion: input.target.pythonVersion,
      osName: input.osName,
    });
    if ((await input.fetchText(url)) !== null) return { url, version };
  }
  return null;
}

/** Resolves the torch lines of a task (nothing happens without any). */
export async function resolveTorch(input: TorchResolveInput): Promise<TorchResolution> {
  const notes: string[] = [];
  const directUrls = new Map<string, string>();
  if (input.options.resolve === 'none' || input.lines.length === 0) {
    return { lines: [...input.lines], indexUrl: null, cuda: null, directUrls, notes };
  }
  const tried: string[] = [];
  let index = await findIndex(input.options.extraIndexUrlTemplate, input.cuda, input.fetchText, tried);
  if (!index && input.options.nightly && input.cuda) index = await findIndex(input.options.nightlyExtraIndexUrlTemplate, input.cuda, input.fetchText, tried);
  const gpu = input.cuda && input.cuda > 0 ? `CUDA ${input.cuda}` : 'no GPU (cpu)';
  if (!index) {
    notes.push(`WARNING: PyTorch: no index answered for ${gpu} (tried ${tried.join(', ')}); installing ${input.lines.join(', ')} from the configured indexes`);
    return { lines: [...input.lines], indexUrl: null, cuda: null, directUrls, notes };
  }
  notes.push(`PyTorch: ${gpu}, using index ${index.url}`);
  const lines: string[] = [];
  let pipLines = false;
  for (const line of input.lines) {
    if (input.options.resolve === 'direct') {
      const picked = await directLine(line, index, input);
      if (picked) {
        const name = normaliseProjectName(splitPackageLine(line)?.name ?? line);
        notes.push(`PyTorch: ${line} → ${picked.url}`);
        directUrls.set(name, picked.url);
        lines.push(`${name} @ ${picked.url}`);
        continue;
      }
      notes.push(`PyTorch: no wheel for ${line} on ${index.url}; resolving it with pip (pytorch_resolve: pip)`);
    }
    const relaxed = relaxTorchPin(line);
    if (relaxed !== line) notes.push(`PyTorch: installing ${relaxed} (was ${line})`);
    lines.push(relaxed);
    pipLines = true;
  }
  if (input.lines.some(needsOldSetuptools)) lines.push('setuptools<59');
  return { lines, indexUrl: pipLines ? index.url : null, cuda: index.cuda, directUrls, notes };
}

/** Pure: `torch @ https://…/torch-2.1.0+cu121-….whl` from a freeze → `torch==2.1.0+cu121 # https://…`. */
export function mapFrozenTorchLine(line: string, directUrls: ReadonlyMap<string, string>): string {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*@\s*(\S+)$/.exec(line.trim());
  if (!m?.[1] || !m[2]) return line;
  const name = normaliseProjectName(m[1]);
  if (!directUrls.has(name)) return line;
  const filename = decodeURIComponent(m[2].split('#')[0]!.split('/').pop() ?? '');
  const version = filename.endsWith('.whl') ? filename.split('-')[1] : undefined;
  return version && specifierClauses(version).length > 0 ? `${m[1]}==${version} # ${m[2]}` : line;
}
