import { parseApiVersion, type ApiVersion } from '../api-version.js';

export interface ParsedPath {
  /** `service.action` */
  endpoint: string;
  /** null when the URL carries no version (the caller then gets the server's max). */
  version: ApiVersion | null;
  versionText: string | null;
}

// Optional leading slash, optional `vN.N/`, then `service.action`, optional trailing slash.
const pathPattern = /^\/?(?:v([^/]*)\/)?([A-Za-z_]\w+)\.([A-Za-z_]\w+)\/?$/;

/** Parses `/v2.5/tasks.get_all` (or `/tasks.get_all`); null when the path is not an API call. */
export function parseRequestPath(pathname: string): ParsedPath | null {
  const match = pathPattern.exec(pathname);
  if (!match) return null;
  const [, versionText, service, action] = match;
  if (versionText === undefined) return { endpoint: `${service}.${action}`, version: null, versionText: null };
  const version = parseApiVersion(versionText);
  if (!version) return null;
  return { endpoint: `${service}.${action}`, version, versionText };
}
