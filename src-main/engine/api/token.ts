// The decode-only entry: the package root also loads jose's WebCrypto signing code (~8 MB of an
// idle daemon's memory) that a client, which never verifies a token, does not need.
import { decodeJwt } from 'jose/jwt/decode';
import { z } from 'zod';

/**
 * What the client learns from the server's JWT (reference §1.2/§1.3): the API level, server
 * version and feature set, plus our own server's `tray_agent` claim that advertises extensions.
 * The token is decoded without verifying the signature: only the server can verify it, and
 * the client uses the claims for feature gating, not for trust.
 */
export interface ServerCapabilities {
  apiVersion: string;
  serverVersion: string;
  featureSet: string;
  /** Longest `wait_ms` our embedded server accepts on queues.get_next_task; null = no long-poll. */
  longPollMaxMs: number | null;
  /** True when the server is our embedded one (it sent the `tray_agent` claim). */
  trayAgentExtensions: boolean;
  /**
   * Our server's `queues.get_next_task` also takes `queues` (ids in priority order): it pops
   * from the first non-empty one and long-polls all of them at once.
   */
  multiQueueNextTask: boolean;
}

export interface TokenInfo {
  capabilities: ServerCapabilities;
  /** Epoch ms; null = the token never expires. */
  expiresAtMs: number | null;
  issuedAtMs: number | null;
}

/** API level assumed when the token does not say (the agent's typed client level). */
export const defaultApiVersion = '2.5';

const versionClaim = z.union([z.string(), z.number()]).transform(String);
const claimsSchema = z.looseObject({
  exp: z.number().nullish(),
  iat: z.number().nullish(),
  env: z.string().nullish(),
  api_version: versionClaim.nullish(),
  server_version: versionClaim.nullish(),
  feature_set: z.string().nullish(),
  tray_agent: z.looseObject({ long_poll_max_ms: z.number().nonnegative().nullish(), multi_queue_next_task: z.boolean().nullish() }).nullish(),
});

export class TokenDecodeError extends Error {
  override name = 'TokenDecodeError';
}

export function decodeServerToken(token: string): TokenInfo {
  let raw: unknown;
  try {
    raw = decodeJwt(token);
  } catch (error) {
    throw new TokenDecodeError(`the auth token is not a JWT (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = claimsSchema.safeParse(raw);
  if (!parsed.success) throw new TokenDecodeError(`the auth token has unexpected claims: ${parsed.error.issues[0]?.message ?? ''}`);
  const claims = parsed.data;
  // Old servers omit api_version; the SDK then assumes 2.2 on "prod" deployments.
  const apiVersion = claims.api_version ?? (claims.env === 'prod' ? '2.2' : defaultApiVersion);
  const longPoll = claims.tray_agent?.long_poll_max_ms;
  return {
    capabilities: {
      apiVersion,
      serverVersion: claims.server_version ?? 'unknown',
      featureSet: claims.feature_set ?? 'basic',
      longPollMaxMs: typeof longPoll === 'number' && longPoll > 0 ? longPoll : null,
      trayAgentExtensions: claims.tray_agent != null,
      multiQueueNextTask: claims.tray_agent?.multi_queue_next_task === true,
    },
    expiresAtMs: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
    issuedAtMs: typeof claims.iat === 'number' ? claims.iat * 1000 : null,
  };
}

/**
 * Whether to get a new token before the next call: less than `thresholdSec` left. The
 * threshold is cut to half the token's lifetime so that a server issuing short-lived tokens
 * (shorter than the threshold) does not get a login before every single call.
 */
export function tokenNeedsRefresh(info: TokenInfo, thresholdSec: number, nowMs: number): boolean {
  if (info.expiresAtMs === null) return false;
  let thresholdMs = thresholdSec * 1000;
  if (info.issuedAtMs !== null && info.expiresAtMs > info.issuedAtMs) {
    thresholdMs = Math.min(thresholdMs, (info.expiresAtMs - info.issuedAtMs) / 2);
  }
  return info.expiresAtMs - nowMs < thresholdMs;
}
