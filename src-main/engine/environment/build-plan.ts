/**
 * From the task's requirement lines to what will be installed, and how: torch lines resolved
 * against the pytorch index, the priority/post order, the pip settings. Runs before the cache
 * lookup, because all of it is part of the cache key.
 */
import type { BuildPlan } from './build-environment.js';
import type { CacheKeyInput } from './cache-key.js';
import { cudaVersionForTorch } from './cuda-version.js';
import { planInstallOrder } from './install-plan.js';
import type { InterpreterInfo } from './interpreter.js';
import type { PipSettings } from './pip-setup.js';
import { defaultTorchOptions, resolveTorch, torchLines } from './pytorch.js';
import type { EnvironmentOptions } from './types.js';

export function indexLines(urls: readonly string[]): string[] {
  return urls.map((u) => u.trim()).filter(Boolean).map((u) => `--extra-index-url ${u}`);
}

export function pipSettingsOf(opts: EnvironmentOptions): PipSettings {
  return { pipVersion: opts.pipVersion ?? [], legacyResolver: opts.pipLegacyResolver ?? [], forceUpgrade: opts.forceUpgrade ?? false };
}

/** GET with a 10 s limit; the body of a 2xx answer, else null. Credentials in the URL become a header. */
export async function fetchText(url: string, signal?: AbortSignal): Promise<string | null> {
  try {
    const parsed = new URL(url);
    const headers: Record<string, string> = {};
    if (parsed.username || parsed.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    const timeout = AbortSignal.timeout(10_000);
    const response = await fetch(parsed, { headers, redirect: 'follow', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return null;
    }
    return await response.text();
  } catch {
    return null;
  }
}

function osWheelName(platform: string): string {
  const [os = '', ...rest] = platform.split('-');
  const arch = rest.join('_') || 'x86_64';
  if (os === 'win') return 'win_amd64';
  return `${os}_${arch}`;
}

export interface PlannedBuild {
  plan: BuildPlan;
  /** Cache-key parts beyond the requirement lines. */
  keyParts: Pick<CacheKeyInput, 'pip' | 'installOrder' | 'torch'>;
}

/** Turns the install lines into a build plan; `usesPip` says whether the pip settings apply. */
export async function planBuild(installLines: readonly string[], base: InterpreterInfo, opts: EnvironmentOptions, env: NodeJS.ProcessEnv, usesPip: boolean): Promise<PlannedBuild> {
  const torchOptions = defaultTorchOptions(opts.torch);
  const torchOnes = torchLines(installLines);
  let lines = [...installLines];
  let torchKey: CacheKeyInput['torch'] = null;
  const directTorchUrls = new Map<string, string>();
  let torchIndex: string | null = null;
  if (torchOnes.length > 0 && torchOptions.resolve !== 'none') {
    const { cuda, source } = await cudaVersionForTorch(opts.cudaVersion, env, opts.signal);
    opts.log(`PyTorch: ${torchOnes.join(', ')} requested; CUDA ${cuda ?? 'none'} (from ${source}); pytorch_resolve: ${torchOptions.resolve}`);
    const resolution = await resolveTorch({
      lines: torchOnes,
      options: torchOptions,
      cuda,
      target: { pythonVersion: base.version.split('.').slice(0, 2).join('.'), platform: base.platform },
      osName: osWheelName(base.platform),
      fetchText: (url) => fetchText(url, opts.signal),
    });
    for (const note of resolution.notes) opts.log(note);
    const replaced = new Map(torchOnes.map((line, i) => [line, resolution.lines[i] ?? line]));
    lines = [...lines.map((line) => replaced.get(line) ?? line), ...resolution.lines.slice(torchOnes.length)];
    for (const [name, url] of resolution.directUrls) directTorchUrls.set(name, url);
    torchIndex = resolution.indexUrl;
    torchKey = { resolve: torchOptions.resolve, indexUrl: resolution.indexUrl, cuda: resolution.cuda, lines: resolution.lines };
  }
  const install = planInstallOrder(lines, {
    priority: opts.priorityPackages ?? [],
    priorityOptional: opts.priorityOptionalPackages ?? [],
    post: opts.postPackages ?? [],
    postOptional: opts.postOptionalPackages ?? [],
  });
  const pip = pipSettingsOf(opts);
  return {
    plan: { indexLines: indexLines([...opts.extraIndexUrls, ...(torchIndex ? [torchIndex] : [])]), install, pip, directTorchUrls },
    keyParts: {
      ...(usesPip ? { pip: { version: pip.pipVersion, legacyResolver: pip.legacyResolver, forceUpgrade: pip.forceUpgrade } } : { pip: { version: [], legacyResolver: [], forceUpgrade: pip.forceUpgrade } }),
      installOrder: install.keyParts,
      torch: torchKey,
    },
  };
}
