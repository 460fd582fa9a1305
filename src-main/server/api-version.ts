/**
 * API versions as ClearML numbers them ("2.9" < "2.13"): compared as integer pairs, never as
 * floats.
 */
export type ApiVersion = readonly [major: number, minor: number];

/** The highest API level we serve, the level the JWT advertises and unversioned calls get. */
export const MAX_API_VERSION = '2.31';
/** The ClearML server release whose API we speak (JWT claim server_version, server.info). */
export const CLEARML_SERVER_VERSION = '2.0.0';

const versionPattern = /^(\d{1,4})\.(\d{1,4})$/;

export function parseApiVersion(text: string): ApiVersion | null {
  const match = versionPattern.exec(text);
  if (!match) return null;
  return [Number(match[1]), Number(match[2])];
}

export function compareApiVersions(a: ApiVersion, b: ApiVersion): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/** True when `version` is below `than` ("2.5" below "2.13"). */
export function versionBelow(version: ApiVersion, than: string): boolean {
  const other = parseApiVersion(than);
  if (!other) throw new Error(`bad version literal ${than}`);
  return compareApiVersions(version, other) < 0;
}

export function formatApiVersion(version: ApiVersion): string {
  return `${version[0]}.${version[1]}`;
}
