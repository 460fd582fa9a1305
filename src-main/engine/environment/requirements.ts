/**
 * Pure parsing and normalising of pip requirement lists (task `script.requirements.pip` or a
 * requirements.txt). Nothing here touches the disk except through the `pathExists` callback.
 */

export type RequirementLine =
  /** `name[extras] specifiers ; marker` */
  | { kind: 'package'; text: string; name: string; normalized: string }
  /** pip options that may appear in a requirements file: `--extra-index-url URL`, `--pre`, ... */
  | { kind: 'option'; text: string; option: string; value: string | null; normalized: string }
  /** `git+https://...`, `-e git+...`, `name @ git+...` */
  | { kind: 'vcs'; text: string; url: string; name: string | null; editable: boolean; pinned: boolean; normalized: string }
  /** `-e ./pkg`, `./pkg`, `/abs/pkg.whl`, `name @ file:///...` */
  | { kind: 'local'; text: string; path: string; name: string | null; editable: boolean; normalized: string }
  /** `https://host/pkg-1.0.whl`, `name @ https://...` */
  | { kind: 'url'; text: string; url: string; name: string | null; normalized: string }
  /** `-r other.txt`, `-c constraints.txt` */
  | { kind: 'nested'; text: string; flag: '-r' | '-c'; path: string; normalized: string };

export interface RequirementsSource {
  text: string;
  /** Relative local paths in this text are resolved against this directory. */
  baseDir: string;
  /** For messages, e.g. `task script.requirements.pip` or a file path. */
  label: string;
}

export interface RequirementsPlan {
  /** Lines for the temporary requirements file handed to the installer (paths made absolute). */
  installLines: string[];
  /** Normalised, sorted lines: the requirement part of the cache key. */
  keyLines: string[];
  /** Why this set cannot be cached (editable/local/unpinned VCS/nested files), or null. */
  uncacheableReason: string | null;
  warnings: string[];
}

const VCS_PREFIX = /^(git|hg|svn|bzr)\+/i;
const URL_PREFIX = /^(https?|ftp):\/\//i;
const FILE_URL = /^file:/i;
const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?/;
/** Options that take a value, with their short aliases. */
const VALUE_OPTIONS: Record<string, string> = {
  '-i': '--index-url',
  '--index-url': '--index-url',
  '--extra-index-url': '--extra-index-url',
  '-f': '--find-links',
  '--find-links': '--find-links',
  '--trusted-host': '--trusted-host',
  '--no-binary': '--no-binary',
  '--only-binary': '--only-binary',
  '--use-feature': '--use-feature',
  '--config-settings': '--config-settings',
  '--global-option': '--global-option',
};

/** PEP 503 project-name normalisation. */
export function normaliseProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Text as a list of lines: joins `\` continuations, drops comments and blank lines. */
export function logicalLines(text: string | string[]): string[] {
  const raw = Array.isArray(text) ? text.flatMap((t) => t.split(/\r?\n/)) : text.split(/\r?\n/);
  const joined: string[] = [];
  let pending = '';
  for (const line of raw) {
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1);
      continue;
    }
    joined.push(pending + line);
    pending = '';
  }
  if (pending) joined.push(pending);
  return joined
    .map((line) => stripComment(line).trim())
    .filter((line) => line !== '');
}

/** pip's rule: `#` starts a comment at the line start or after whitespace (not inside a URL fragment). */
function stripComment(line: string): string {
  if (/^\s*#/.test(line)) return '';
  return line.replace(/\s+#.*$/, '');
}

function pinnedVcs(url: string): boolean {
  const beforeFragment = url.split('#')[0] ?? url;
  return /@[0-9a-f]{40}$/i.test(beforeFragment);
}

function eggName(url: string): string | null {
  const match = /[#&]egg=([^&]+)/.exec(url);
  return match?.[1] ? normaliseProjectName(match[1]) : null;
}

function isPathLike(value: string): boolean {
  return (
    value === '.' ||
    value.startsWith('./') ||
    value.startsWith('../') ||
    value.startsWith('/') ||
    value.startsWith('~') ||
    /^[A-Za-z]:[\\/]/.test(value) ||
    value.includes('/') ||
    value.includes('\\') ||
    /\.(whl|zip|tar\.gz|tgz|tar\.bz2)$/i.test(value)
  );
}

function fileUrlPath(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return url.replace(/^file:(\/\/)?/i, '');
  }
}

/** A target given after `-e` or on its own: VCS URL, archive URL, or local path. */
function classifyTarget(text: string, target: string, editable: boolean, name: string | null): RequirementLine {
  if (VCS_PREFIX.test(target)) {
    const resolvedName = name ?? eggName(target);
    return {
      kind: 'vcs',
      text,
      url: target,
      name: resolvedName,
      editable,
      pinned: pinnedVcs(target),
      normalized: `${editable ? '-e ' : ''}${resolvedName ? `${resolvedName} @ ` : ''}${target}`,
    };
  }
  if (FILE_URL.test(target)) {
    return { kind: 'local', text, path: fileUrlPath(target), name, editable, normalized: `${editable ? '-e ' : ''}${target}` };
  }
  if (URL_PREFIX.test(target)) {
    return { kind: 'url', text, url: target, name, normalized: `${name ? `${name} @ ` : ''}${target}` };
  }
  return { kind: 'local', text, path: target, name, editable, normalized: `${editable ? '-e ' : ''}${target}` };
}

function normalisePackage(text: string): RequirementLine {
  const nameMatch = NAME.exec(text);
  if (!nameMatch?.[1]) {
    // Not something we understand; pass it to pip untouched and let it complain precisely.
    return { kind: 'package', text, name: text, normalized: text };
  }
  const name = normaliseProjectName(nameMatch[1]);
  const extras = nameMatch[2]
    ? `[${nameMatch[2]
        .slice(1, -1)
        .split(',')
        .map((e) => normaliseProjectName(e.trim()))
        .filter(Boolean)
        .sort()
        .join(',')}]`
    : '';
  const rest = text.slice(nameMatch[0].length);
  const [spec = '', ...markerParts] = rest.split(';');
  const marker = markerParts.join(';').trim().replace(/\s+/g, ' ');
  const normalized = `${name}${extras}${spec.replace(/\s+/g, '')}${marker ? ` ; ${marker}` : ''}`;
  return { kind: 'package', text, name, normalized };
}

/** One logical line → what it is. */
export function parseRequirementLine(line: string): RequirementLine {
  const text = line.trim();
  const editableMatch = /^(?:-e|--editable)(?:\s+|=)(.+)$/.exec(text);
  if (editableMatch?.[1]) return classifyTarget(text, editableMatch[1].trim(), true, null);

  const nestedMatch = /^(-r|--requirement|-c|--constraint)(?:\s+|=)(.+)$/.exec(text);
  if (nestedMatch?.[1] && nestedMatch[2]) {
    const flag = nestedMatch[1] === '-r' || nestedMatch[1] === '--requirement' ? '-r' : '-c';
    const path = nestedMatch[2].trim();
    return { kind: 'nested', text, flag, path, normalized: `${flag} ${path}` };
  }

  if (text.startsWith('-')) {
    const optionMatch = /^(--?[A-Za-z][A-Za-z0-9-]*)(?:(?:\s+|=)(.*))?$/.exec(text);
    const rawOption = optionMatch?.[1] ?? text;
    const option = VALUE_OPTIONS[rawOption] ?? rawOption;
    const value = optionMatch?.[2]?.trim() || null;
    return { kind: 'option', text, option, value, normalized: value ? `${option} ${value}` : option };
  }

  if (VCS_PREFIX.test(text) || URL_PREFIX.test(text) || FILE_URL.test(text)) return classifyTarget(text, text, false, null);

  const directRef = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*@\s*(\S+)/.exec(text);
  if (directRef?.[1] && directRef[3]) {
    const extras = directRef[2] ?? '';
    return classifyTarget(text, directRef[3], false, `${normaliseProjectName(directRef[1])}${extras}`);
  }

  const firstToken = text.split(/\s+/)[0] ?? text;
  if (isPathLike(firstToken) && !/[<>=!~;]/.test(firstToken)) return classifyTarget(text, firstToken, false, null);
  return normalisePackage(text);
}

export function parseRequirements(text: string | string[]): RequirementLine[] {
  return logicalLines(text).map(parseRequirementLine);
}

function joinPath(baseDir: string, relative: string): string {
  if (relative.startsWith('/') || /^[A-Za-z]:[\\/]/.test(relative) || relative.startsWith('~')) return relative;
  const sep = baseDir.includes('\\') && !baseDir.includes('/') ? '\\' : '/';
  const trimmed = relative.replace(/^\.\/+/, '');
  if (trimmed === '.' || trimmed === '') return baseDir;
  return `${baseDir.replace(/[\\/]+$/, '')}${sep}${trimmed}`;
}

export interface PlanOptions {
  /** Used to replace `name @ file:///...` lines whose file is not here (freezes from another machine). */
  pathExists: (path: string) => boolean;
}

/**
 * Turns parsed sources into the install file and the key lines. Local paths are made absolute
 * against their source's base dir, because the installer reads one merged temporary file.
 */
export function planRequirements(sources: RequirementsSource[], opts: PlanOptions): RequirementsPlan {
  const installLines: string[] = [];
  const keyLines: string[] = [];
  const warnings: string[] = [];
  let uncacheableReason: string | null = null;
  const markUncacheable = (reason: string): void => {
    uncacheableReason ??= reason;
  };

  for (const source of sources) {
    for (const line of parseRequirements(source.text)) {
      switch (line.kind) {
        case 'package':
        case 'option':
        case 'url':
          installLines.push(line.text);
          keyLines.push(line.normalized);
          break;
        case 'vcs':
          installLines.push(line.text);
          keyLines.push(line.normalized);
          if (!line.pinned) markUncacheable(`"${line.text}" is not pinned to a commit`);
          else if (line.editable) markUncacheable(`"${line.text}" is an editable install`);
          break;
        case 'local': {
          const absolute = joinPath(source.baseDir, line.path);
          const isFileUrl = /@\s*file:|^file:/i.test(line.text);
          if (line.name && isFileUrl && !opts.pathExists(absolute)) {
            // `pkg @ file:///home/dev/...` comes from freezing a conda env elsewhere; the name is
            // the best this machine can do with it.
            const bare = line.name;
            warnings.push(`${source.label}: "${line.text}" points to a file that is not here; installing "${bare}" instead`);
            const replacement = normalisePackage(bare);
            installLines.push(replacement.text);
            keyLines.push(replacement.normalized);
            break;
          }
          const target = line.name ? `${line.name} @ file://${absolute}` : absolute;
          installLines.push(line.editable ? `-e ${absolute}` : target);
          keyLines.push(line.normalized);
          markUncacheable(`"${line.text}" installs from a local path`);
          break;
        }
        case 'nested':
          installLines.push(`${line.flag} ${joinPath(source.baseDir, line.path)}`);
          keyLines.push(line.normalized);
          markUncacheable(`"${line.text}" includes another file`);
          break;
      }
    }
  }
  keyLines.sort();
  return { installLines, keyLines, uncacheableReason, warnings };
}
