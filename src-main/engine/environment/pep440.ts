/**
 * Pure: the part of PEP 440 (versions, specifiers) and PEP 508 (environment markers) that the
 * agent itself has to evaluate — `pip_version`, `pip_legacy_resolver`, `poetry_version`,
 * `uv_version` and the torch pins. Everything a task installs is still judged by pip.
 * There is no maintained npm package for PEP 440; node-semver orders pre-releases and
 * `X.Y.*` differently, so it cannot stand in.
 */

export interface Pep440Version {
  epoch: number;
  release: number[];
  /** `a`, `b` or `rc` with its number. */
  pre: [string, number] | null;
  post: number | null;
  dev: number | null;
  local: string | null;
}

const VERSION =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

const PRE_NAMES: Record<string, string> = { a: 'a', alpha: 'a', b: 'b', beta: 'b', c: 'rc', rc: 'rc', pre: 'rc', preview: 'rc' };

export function parseVersion(text: string): Pep440Version | null {
  const m = VERSION.exec(text);
  if (!m) return null;
  const pre = m[3] ? ([PRE_NAMES[m[3].toLowerCase()] ?? m[3], Number(m[4] || 0)] as [string, number]) : null;
  const post = m[5] !== undefined ? Number(m[5]) : m[6] ? Number(m[7] || 0) : null;
  return {
    epoch: Number(m[1] ?? 0),
    release: m[2]!.split('.').map(Number),
    pre,
    post,
    dev: m[8] ? Number(m[9] || 0) : null,
    local: m[10] ? m[10].toLowerCase().replace(/[-_]/g, '.') : null,
  };
}

function compareRelease(a: number[], b: number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

const PRE_ORDER: Record<string, number> = { a: 0, b: 1, rc: 2 };

/** Sort key parts after the release: dev-only < pre < (final) < post. */
function suffixKey(v: Pep440Version): number[] {
  // [phase, pre rank, pre number, post, dev]; a missing dev sorts after any dev.
  const dev = v.dev === null ? Number.POSITIVE_INFINITY : v.dev;
  const post = v.post === null ? -1 : v.post;
  if (v.pre) return [1, PRE_ORDER[v.pre[0]] ?? 0, v.pre[1], post, dev];
  if (v.dev !== null && v.post === null) return [0, 0, 0, post, dev];
  return [2, 0, 0, post, dev];
}

function compareLocal(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn && Number(x) !== Number(y)) return Math.sign(Number(x) - Number(y));
    if (xn !== yn) return xn ? 1 : -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: Pep440Version, b: Pep440Version, withLocal = true): number {
  if (a.epoch !== b.epoch) return Math.sign(a.epoch - b.epoch);
  const release = compareRelease(a.release, b.release);
  if (release !== 0) return release;
  const ka = suffixKey(a);
  const kb = suffixKey(b);
  for (let i = 0; i < ka.length; i += 1) {
    if (ka[i] !== kb[i]) return (ka[i] as number) < (kb[i] as number) ? -1 : 1;
  }
  return withLocal ? compareLocal(a.local, b.local) : 0;
}

export class InvalidSpecifierError extends Error {
  constructor(readonly specifier: string) {
    super(`"${specifier}" is not a version specifier (expected e.g. "==1.2", ">=1.0,<2", "~=2.1")`);
    this.name = 'InvalidSpecifierError';
  }
}

const SPECIFIER = /^\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,;]+)\s*$/;

function matchesOne(candidate: Pep440Version, candidateText: string, clause: string): boolean {
  const m = SPECIFIER.exec(clause);
  if (!m) throw new InvalidSpecifierError(clause);
  const op = m[1]!;
  const target = m[2]!;
  if (op === '===') return candidateText.trim().toLowerCase() === target.toLowerCase();
  if ((op === '==' || op === '!=') && target.endsWith('.*')) {
    const prefix = parseVersion(target.slice(0, -2));
    if (!prefix) throw new InvalidSpecifierError(clause);
    const head = candidate.release.slice(0, prefix.release.length);
    while (head.length < prefix.release.length) head.push(0);
    const same = candidate.epoch === prefix.epoch && compareRelease(head, prefix.release) === 0;
    return op === '==' ? same : !same;
  }
  const version = parseVersion(target);
  if (!version) throw new InvalidSpecifierError(clause);
  // A specifier without a local label ignores the candidate's (`==2.1.0` matches `2.1.0+cu121`).
  const useLocal = version.local !== null;
  const cmp = compareVersions(candidate, version, useLocal);
  switch (op) {
    case '==':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '<=':
      return cmp <= 0;
    case '>=':
      return cmp >= 0;
    case '<':
      return cmp < 0;
    case '>':
      return cmp > 0;
    case '~=': {
      if (version.release.length < 2) throw new InvalidSpecifierError(clause);
      const prefix = version.release.slice(0, -1);
      const head = candidate.release.slice(0, prefix.length);
      while (head.length < prefix.length) head.push(0);
      return cmp >= 0 && compareRelease(head, prefix) === 0;
    }
    default:
      throw new InvalidSpecifierError(clause);
  }
}

/** Splits `>=1.0,<2` into its clauses; a bare version (`1.3`) means `==1.3`, as in clearml-agent. */
export function specifierClauses(specifiers: string): string[] {
  const trimmed = specifiers.trim();
  if (trimmed === '') return [];
  if (parseVersion(trimmed)) return [`==${trimmed}`];
  return trimmed.split(',').map((c) => c.trim()).filter(Boolean);
}

/** Whether `version` satisfies every clause of `specifiers` (empty → anything). */
export function satisfies(version: string, specifiers: string): boolean {
  const parsed = parseVersion(version);
  if (!parsed) return false;
  return specifierClauses(specifiers).every((clause) => matchesOne(parsed, version, clause));
}

/** Throws InvalidSpecifierError unless every clause parses. */
export function validateSpecifiers(specifiers: string): void {
  const probe = parseVersion('0')!;
  for (const clause of specifierClauses(specifiers)) matchesOne(probe, '0', clause);
}

/** The values PEP 508 markers may test (the subset the agent's own settings use). */
export type MarkerEnvironment = Record<string, string>;

export class InvalidMarkerError extends Error {
  constructor(
    readonly marker: string,
    reason: string,
  ) {
    super(`environment marker "${marker}" cannot be read: ${reason}`);
    this.name = 'InvalidMarkerError';
  }
}

type Token = { kind: 'name' | 'string' | 'op' | 'lparen' | 'rparen'; value: string };

function tokenizeMarker(marker: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\()|(\))|('[^']*'|"[^"]*")|(===|==|!=|~=|<=|>=|<|>)|(not\s+in\b|in\b|and\b|or\b)|([A-Za-z_][A-Za-z0-9_.]*))/y;
  let index = 0;
  while (index < marker.length) {
    if (/^\s*$/.test(marker.slice(index))) break;
    re.lastIndex = index;
    const m = re.exec(marker);
    if (!m) throw new InvalidMarkerError(marker, `unexpected text at "${marker.slice(index).trim()}"`);
    index = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'lparen', value: '(' });
    else if (m[2]) tokens.push({ kind: 'rparen', value: ')' });
    else if (m[3]) tokens.push({ kind: 'string', value: m[3].slice(1, -1) });
    else if (m[4]) tokens.push({ kind: 'op', value: m[4] });
    else if (m[5]) tokens.push({ kind: 'op', value: m[5].replace(/\s+/g, ' ') });
    else if (m[6]) tokens.push({ kind: 'name', value: m[6] });
  }
  return tokens;
}

const VERSION_MARKERS = new Set(['python_version', 'python_full_version', 'implementation_version', 'platform_release']);

function compareMarker(left: string, op: string, right: string, versionish: boolean): boolean {
  if (op === 'in') return right.includes(left);
  if (op === 'not in') return !right.includes(left);
  if (versionish && parseVersion(left) && op !== '===') {
    try {
      return satisfies(left, `${op}${right}`);
    } catch {
      // fall through to a string comparison
    }
  }
  switch (op) {
    case '==':
    case '===':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    default:
      return false;
  }
}

/** Evaluates a PEP 508 marker (`python_version >= '3.10' and sys_platform == 'linux'`). */
export function evaluateMarker(marker: string, env: MarkerEnvironment): boolean {
  const tokens = tokenizeMarker(marker);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const value = (): { text: string; versionish: boolean } => {
    const token = tokens[pos++];
    if (!token) throw new InvalidMarkerError(marker, 'it ends too early');
    if (token.kind === 'string') return { text: token.value, versionish: false };
    if (token.kind === 'name') {
      if (!(token.value in env)) throw new InvalidMarkerError(marker, `unknown marker variable ${token.value}`);
      return { text: env[token.value]!, versionish: VERSION_MARKERS.has(token.value) };
    }
    throw new InvalidMarkerError(marker, `expected a value, got "${token.value}"`);
  };
  const atom = (): boolean => {
    if (peek()?.kind === 'lparen') {
      pos += 1;
      const result = orExpr();
      if (tokens[pos++]?.kind !== 'rparen') throw new InvalidMarkerError(marker, 'a parenthesis is not closed');
      return result;
    }
    const left = value();
    const op = tokens[pos++];
    if (op?.kind !== 'op' || op.value === 'and' || op.value === 'or') throw new InvalidMarkerError(marker, 'expected a comparison');
    const right = value();
    return compareMarker(left.text, op.value, right.text, left.versionish || right.versionish);
  };
  const andExpr = (): boolean => {
    let result = atom();
    while (peek()?.value === 'and') {
      pos += 1;
      const next = atom();
      result = result && next;
    }
    return result;
  };
  function orExpr(): boolean {
    let result = andExpr();
    while (peek()?.value === 'or') {
      pos += 1;
      const next = andExpr();
      result = result || next;
    }
    return result;
  }
  const result = orExpr();
  if (pos !== tokens.length) throw new InvalidMarkerError(marker, `unexpected "${tokens[pos]?.value}"`);
  return result;
}

/** Marker variables for an interpreter of version `X.Y.Z` on this kind of machine. */
export function markerEnvironment(pythonVersion: string, platform: NodeJS.Platform = process.platform): MarkerEnvironment {
  const [major = '3', minor = '0'] = pythonVersion.split('.');
  const sysPlatform = platform === 'win32' ? 'win32' : platform;
  const system = platform === 'win32' ? 'Windows' : platform === 'darwin' ? 'Darwin' : 'Linux';
  return {
    python_version: `${major}.${minor}`,
    python_full_version: pythonVersion,
    sys_platform: sysPlatform,
    platform_system: system,
    os_name: platform === 'win32' ? 'nt' : 'posix',
    implementation_name: 'cpython',
    platform_python_implementation: 'CPython',
  };
}

/**
 * A constraint list as clearml.conf writes it (`["<22.3 ; python_version <= '3.11'", ...]`):
 * the clauses of every entry whose marker holds, joined. Entries whose marker fails drop out.
 */
export function applicableSpecifiers(entries: readonly string[], env: MarkerEnvironment): string[] {
  const clauses: string[] = [];
  for (const entry of entries) {
    const [spec = '', ...markerParts] = entry.split(';');
    const marker = markerParts.join(';').trim();
    if (marker && !evaluateMarker(marker, env)) continue;
    clauses.push(...specifierClauses(spec));
  }
  return clauses;
}
