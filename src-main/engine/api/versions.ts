import semver from 'semver';

/**
 * ClearML API levels are "MAJOR.MINOR" strings that must be compared as numbers per part
 * ("2.9" < "2.13"), never as floats or strings. semver's coerce turns "2.13" into 2.13.0.
 */
function coerceApiVersion(version: string): semver.SemVer {
  const coerced = semver.coerce(version);
  if (!coerced) throw new Error(`"${version}" is not an API version (expected MAJOR.MINOR, e.g. 2.13)`);
  return coerced;
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareApiVersions(a: string, b: string): number {
  return semver.compare(coerceApiVersion(a), coerceApiVersion(b));
}

/** True when `available` is at least `required` (feature gating: `apiVersionAtLeast(caps.apiVersion, '2.10')`). */
export function apiVersionAtLeast(available: string, required: string): boolean {
  return compareApiVersions(available, required) >= 0;
}
