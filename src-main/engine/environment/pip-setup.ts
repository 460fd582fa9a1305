/**
 * pip inside a fresh environment: `pip_version` (the constraint clearml-agent applies to pip in
 * every venv) and `pip_legacy_resolver` / `force_upgrade` (flags for the installs that follow).
 */
import { EnvironmentError } from './errors.js';
import type { BuildContext } from './installers/builder.js';
import { pipInstall, pipVersionOf } from './installers/pip.js';
import { applicableSpecifiers, InvalidMarkerError, InvalidSpecifierError, markerEnvironment, satisfies } from './pep440.js';
import { withRequirementsFile } from './requirements-file.js';

export interface PipSettings {
  pipVersion: readonly string[];
  legacyResolver: readonly string[];
  forceUpgrade: boolean;
}

export const LEGACY_RESOLVER_FLAG = '--use-deprecated=legacy-resolver';

function configError(key: string, entries: readonly string[], error: Error): EnvironmentError {
  return new EnvironmentError(`invalid agent.package_manager.${key}`, `agent.package_manager.${key} is ${JSON.stringify(entries)}: ${error.message}.`);
}

/** Pure: the pip constraint for an interpreter (`<22.3`), or null; throws a config error for a bad entry. */
export function pipConstraintFor(entries: readonly string[], pythonVersion: string): string | null {
  try {
    const clauses = applicableSpecifiers(entries, markerEnvironment(pythonVersion));
    if (clauses.length === 0) return null;
    satisfies('1', clauses.join(','));
    return clauses.join(',');
  } catch (error) {
    if (error instanceof InvalidSpecifierError || error instanceof InvalidMarkerError) throw configError('pip_version', entries, error);
    throw error;
  }
}

/** Pure: whether pip `version` gets the legacy resolver (any entry matching). */
export function wantsLegacyResolver(entries: readonly string[], pipVersion: string, pythonVersion: string): boolean {
  try {
    return entries.some((entry) => {
      const clauses = applicableSpecifiers([entry], markerEnvironment(pythonVersion));
      return clauses.length > 0 && satisfies(pipVersion, clauses.join(','));
    });
  } catch (error) {
    if (error instanceof InvalidSpecifierError || error instanceof InvalidMarkerError) throw configError('pip_legacy_resolver', entries, error);
    throw error;
  }
}

/** Checks both settings before anything is built, so a typo fails the task at once. */
export function validatePipSettings(settings: PipSettings, pythonVersion: string): void {
  pipConstraintFor(settings.pipVersion, pythonVersion);
  wantsLegacyResolver(settings.legacyResolver, '1', pythonVersion);
}

/**
 * Applies `pip_version` in the environment of `python` and returns the install flags for it.
 * A constraint pip already meets is left alone (and said so); one that cannot be installed from
 * the indexes is a warning, not a failure — the bundled pip still installs the task's packages.
 */
export async function setUpPip(python: string, pythonVersion: string, indexLines: string[], settings: PipSettings, ctx: BuildContext, applyVersion = true): Promise<string[]> {
  let version = await pipVersionOf(python, ctx);
  const constraint = applyVersion ? pipConstraintFor(settings.pipVersion, pythonVersion) : null;
  if (constraint && version) {
    if (satisfies(version, constraint)) {
      ctx.log(`pip ${version} is within agent.package_manager.pip_version (${constraint}); not changed`);
    } else {
      ctx.log(`pip ${version} is outside agent.package_manager.pip_version (${constraint}); installing pip${constraint}`);
      try {
        await withRequirementsFile([...indexLines, `pip${constraint}`], (file) => pipInstall(python, file, { ...ctx, installFlags: [] }, 'pip (pip_version)'));
        version = await pipVersionOf(python, ctx);
        ctx.log(`pip is now ${version ?? 'unknown'}`);
      } catch (error) {
        if (!(error instanceof EnvironmentError) || error.reason === 'cancelled') throw error;
        ctx.log(`WARNING: could not apply agent.package_manager.pip_version (${constraint}); keeping pip ${version}: ${error.message}`);
      }
    }
  }
  const flags: string[] = [];
  if (version && wantsLegacyResolver(settings.legacyResolver, version, pythonVersion)) {
    ctx.log(`pip ${version} matches agent.package_manager.pip_legacy_resolver (${settings.legacyResolver.join(' | ')}); installing with ${LEGACY_RESOLVER_FLAG}`);
    flags.push(LEGACY_RESOLVER_FLAG);
  }
  if (settings.forceUpgrade) flags.push('--upgrade');
  return flags;
}
