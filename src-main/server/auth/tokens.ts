import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { randomUUID } from 'node:crypto';
import { apiError } from '../http/api-error.js';
import type { Identity } from '../identity.js';
import { CLEARML_SERVER_VERSION, MAX_API_VERSION } from '../api-version.js';

export interface VerifiedToken {
  identity: Identity;
  sessionId: string;
  /** epoch seconds; null when the token never expires */
  exp: number | null;
}

export interface TokenServiceOptions {
  secret: Uint8Array;
  now: () => number;
  serverBuild: string;
  longPollMaxMs: number;
  isRevoked: (sessionId: string) => boolean;
}

const CACHE_LIMIT = 10_000;

/**
 * Issues and checks the HS256 JWTs of ClearML's protocol. Clients read capabilities from the
 * claims without verifying (api_version, server_version, feature_set); our agent also reads
 * `tray_agent.long_poll_max_ms`. Verified tokens are cached so a steady poller pays one map
 * lookup per call instead of an HMAC and a JSON parse.
 */
export class TokenService {
  private readonly cache = new Map<string, VerifiedToken>();

  constructor(private readonly options: TokenServiceOptions) {}

  async issue(identity: Identity, expirationSec: number): Promise<{ token: string; sessionId: string; exp: number }> {
    const iat = Math.floor(this.options.now() / 1000);
    const exp = iat + expirationSec;
    const sessionId = randomUUID().replaceAll('-', '');
    const token = await new SignJWT({
      identity: { ...identity },
      auth_type: 'Bearer',
      session_id: sessionId,
      env: 'local',
      api_version: MAX_API_VERSION,
      server_version: CLEARML_SERVER_VERSION,
      server_build: this.options.serverBuild,
      feature_set: 'basic',
      tray_agent: { long_poll_max_ms: this.options.longPollMaxMs, multi_queue_next_task: true },
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.options.secret);
    return { token, sessionId, exp };
  }

  async verify(token: string): Promise<VerifiedToken> {
    const nowSec = this.options.now() / 1000;
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.exp !== null && cached.exp <= nowSec) {
        this.cache.delete(token);
        throw apiError('invalid_token', 'token expired');
      }
      if (this.options.isRevoked(cached.sessionId)) throw apiError('blocked_token');
      return cached;
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.options.secret, {
        algorithms: ['HS256'],
        currentDate: new Date(this.options.now()),
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JWTExpired ? 'token expired' : 'malformed or wrongly signed token';
      throw apiError('invalid_token', reason);
    }
    const verified = toVerifiedToken(payload);
    if (this.options.isRevoked(verified.sessionId)) throw apiError('blocked_token');
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, verified);
    return verified;
  }
}

function toVerifiedToken(payload: Record<string, unknown>): VerifiedToken {
  const identity = payload.identity as Partial<Identity> | undefined;
  const sessionId = payload.session_id;
  if (
    !identity ||
    typeof identity.user !== 'string' ||
    typeof identity.company !== 'string' ||
    typeof identity.role !== 'string' ||
    typeof sessionId !== 'string'
  ) {
    throw apiError('invalid_token', 'token lacks identity claims');
  }
  return {
    identity: {
      user: identity.user,
      company: identity.company,
      role: identity.role,
      user_name: typeof identity.user_name === 'string' ? identity.user_name : '',
      company_name: typeof identity.company_name === 'string' ? identity.company_name : '',
    },
    sessionId,
    exp: typeof payload.exp === 'number' ? payload.exp : null,
  };
}
