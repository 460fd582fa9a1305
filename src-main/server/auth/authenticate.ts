import type { IncomingHttpHeaders } from 'node:http';
import { apiError } from '../http/api-error.js';
import type { Identity } from '../identity.js';
import { identityOf, type AuthStore } from '../store/auth-store.js';
import { secretMatches } from './credentials.js';
import type { TokenService } from './tokens.js';

export const TOKEN_COOKIE = 'clearml_token_basic';

export interface AuthenticatedCaller {
  identity: Identity;
  /** The Bearer token's session; null for Basic auth. */
  sessionId: string | null;
  /** The Bearer token's expiry (epoch s), null for Basic auth or a token without exp. */
  tokenExp: number | null;
}

function cookieToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE && rest.length > 0) return rest.join('=');
  }
  return undefined;
}

/** Checks a Basic `key:secret` pair against the stored hash. */
export function authenticateBasic(encoded: string, store: AuthStore, nowMs: number): AuthenticatedCaller {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw apiError('bad_credentials', 'expected base64 of access_key:secret_key');
  const accessKey = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  const credential = store.getCredential(accessKey);
  if (!credential || !secretMatches(secret, credential.secretSha256)) throw apiError('invalid_credentials');
  const user = store.getUser(credential.userId);
  if (!user) throw apiError('invalid_credentials', 'credentials belong to no user');
  store.touchCredential(accessKey, nowMs);
  return { identity: identityOf(user), sessionId: null, tokenExp: null };
}

/**
 * Resolves the caller from `Authorization: Basic|Bearer ...` (or the web UI's token cookie).
 * Throws the 401 ClearML would answer with.
 */
export async function authenticate(
  headers: IncomingHttpHeaders,
  store: AuthStore,
  tokens: TokenService,
  nowMs: number,
): Promise<AuthenticatedCaller> {
  const header = headers.authorization ?? (cookieToken(headers.cookie) ? `Bearer ${cookieToken(headers.cookie)}` : undefined);
  if (!header || header.trim() === '') throw apiError('no_credentials');
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'basic') {
    if (!value) throw apiError('bad_credentials');
    return authenticateBasic(value, store, nowMs);
  }
  if (scheme === 'bearer') {
    if (!value) throw apiError('invalid_token', 'empty token');
    const verified = await tokens.verify(value);
    return { identity: verified.identity, sessionId: verified.sessionId, tokenExp: verified.exp };
  }
  throw apiError('bad_auth_type', undefined, { type: scheme });
}
