// Who may use the dashboard: a browser on this machine that holds the token of the printed URL.
// The server listens on 127.0.0.1 only; on top of that every request must name a loopback host
// (a DNS-rebinding page carries its own host name), come from its own origin (another site's
// page is refused even with a leaked token), and carry the token (query or the cookie we set).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { dashboardTokenParam } from '../../src-shared/dashboard-protocol.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

export type AccessDecision = { allowed: true } | { allowed: false; status: 401 | 403; reason: string };

export interface AccessPolicy {
  readonly token: string;
  /** The cookie that lets the page load its assets after the first (token-bearing) request. */
  readonly cookieName: string;
  check(request: IncomingMessage): AccessDecision;
  /** True when the request's own URL carries the right token (the page load). */
  urlHasToken(request: IncomingMessage): boolean;
  setCookieHeader(): string;
}

export function newDashboardToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `127.0.0.1:8080` → `127.0.0.1`; null when the header is no loopback name (any port: SSH tunnels remap it). */
function loopbackHost(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  const match = /^([^:]+)(?::(\d{1,5}))?$/.exec(hostHeader.trim().toLowerCase());
  if (!match || !LOOPBACK_HOSTS.has(match[1] ?? '')) return null;
  return hostHeader.trim().toLowerCase();
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

function queryToken(request: IncomingMessage): string | null {
  try {
    return new URL(request.url ?? '/', 'http://127.0.0.1').searchParams.get(dashboardTokenParam);
  } catch {
    return null;
  }
}

export function createAccessPolicy(options: { token: string; port: number }): AccessPolicy {
  const { token } = options;
  const cookieName = `tray_agent_dashboard_${options.port}`;
  return {
    token,
    cookieName,
    urlHasToken: (request) => sameSecret(queryToken(request), token),
    check(request) {
      const host = loopbackHost(request.headers.host);
      if (!host) return { allowed: false, status: 403, reason: 'the dashboard answers only at 127.0.0.1 or localhost' };
      const origin = request.headers.origin;
      // Browsers send Origin on WebSocket upgrades and on cross-site requests; a page of another
      // origin is refused whatever it carries. Tools without a browser send none.
      if (origin !== undefined && origin !== `http://${host}`) {
        return { allowed: false, status: 403, reason: `requests from ${origin.slice(0, 100)} are not accepted` };
      }
      const given = queryToken(request) ?? cookieValue(request.headers.cookie, cookieName);
      if (!sameSecret(given, token)) {
        return { allowed: false, status: 401, reason: 'no valid token: open the dashboard address tray-agent printed (it carries the token)' };
      }
      return { allowed: true };
    },
    setCookieHeader: () => `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
  };
}
