/**
 * Pure: which package indexes a pip run consults, for error messages ("No matching distribution
 * found for x==1.0" means little without them), and credential hygiene for URLs that leave the
 * agent (log lines, frozen requirements sent to the server).
 */

const DEFAULT_INDEX = 'https://pypi.org/simple';

/** `https://user:token@host/…` → `https://host/…` (also inside `git+https://…` and `name @ url`). */
export function withoutUrlCredentials(text: string): string {
  return text.replace(/\b((?:[a-z][a-z0-9+.-]*\+)?[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1');
}

function optionValues(words: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    for (const name of names) {
      if (word === name && i + 1 < words.length) values.push(words[i + 1]!);
      else if (name.startsWith('--') && word.startsWith(`${name}=`)) values.push(word.slice(name.length + 1));
    }
  }
  return values;
}

function lineWords(lines: readonly string[]): string[] {
  return lines.flatMap((line) => line.trim().split(/\s+/));
}

export interface IndexSources {
  /** `--extra-index-url …` lines from agent.package_manager.extra_index_url and torch. */
  indexLines: readonly string[];
  /** Option lines of the task's own list (`--index-url …`, `-f …`). */
  requirementOptionLines: readonly string[];
  /** agent.package_manager.extra_pip_install_flags. */
  extraPipInstallFlags: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** The indexes (and find-links places) pip asks, in pip's order, credentials removed. */
export function indexesConsulted(sources: IndexSources): string[] {
  const words = [...lineWords(sources.indexLines), ...lineWords(sources.requirementOptionLines), ...sources.extraPipInstallFlags];
  const noIndex = words.includes('--no-index') || /^(1|true|yes|on)$/i.test(sources.env.PIP_NO_INDEX ?? '');
  const primary = optionValues(words, ['-i', '--index-url']).at(-1) ?? sources.env.PIP_INDEX_URL ?? DEFAULT_INDEX;
  const extras = [...optionValues(words, ['--extra-index-url']), ...(sources.env.PIP_EXTRA_INDEX_URL ?? '').split(/\s+/).filter(Boolean)];
  const findLinks = [...optionValues(words, ['-f', '--find-links']), ...(sources.env.PIP_FIND_LINKS ?? '').split(/\s+/).filter(Boolean)];
  const all = [...(noIndex ? [] : [primary, ...extras]), ...findLinks.map((f) => `${f} (find-links)`)];
  return [...new Set(all.map(withoutUrlCredentials))];
}

export function describeIndexes(sources: IndexSources): string {
  const indexes = indexesConsulted(sources);
  return indexes.length > 0 ? `Indexes tried: ${indexes.join(', ')}.` : 'No index was consulted (--no-index).';
}
