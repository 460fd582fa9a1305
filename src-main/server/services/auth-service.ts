import { z } from 'zod';
import { int } from '../request-fields.js';
import { TOKEN_COOKIE } from '../auth/authenticate.js';
import type { ServerContext } from '../context.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import { parseRequest } from '../validation.js';

export const DEFAULT_TOKEN_EXPIRATION_SEC = 30 * 24 * 3600;
export const MAX_TOKEN_EXPIRATION_SEC = 365 * 24 * 3600;

const loginRequest = z.object({ expiration_sec: int().optional() });

/** auth.login (Basic, or Bearer to refresh) and auth.logout (revokes the token's session). */
export function authEndpoints(ctx: ServerContext): EndpointDefinition[] {
  return [
    {
      name: 'auth.login',
      versions: ['2.1'],
      async handle(call) {
        const request = parseRequest(loginRequest, call.body);
        const expiration = request.expiration_sec ?? DEFAULT_TOKEN_EXPIRATION_SEC;
        if (expiration <= 0 || expiration > MAX_TOKEN_EXPIRATION_SEC) {
          throw apiError('validation_error', `expiration_sec must be between 1 and ${MAX_TOKEN_EXPIRATION_SEC}`, {
            expiration_sec: expiration,
          });
        }
        const { token } = await ctx.tokens.issue(call.identity, expiration);
        call.responseHeaders['set-cookie'] = `${TOKEN_COOKIE}=${token}; Max-Age=${expiration}; Path=/; HttpOnly; SameSite=Lax`;
        return { token };
      },
    },
    {
      name: 'auth.logout',
      versions: ['2.2'],
      handle(call) {
        if (call.sessionId) {
          // Remember the revocation until every token of the session has expired anyway.
          const expires = Math.floor(ctx.now() / 1000) + MAX_TOKEN_EXPIRATION_SEC;
          ctx.authStore.revokeSession(call.sessionId, expires);
        }
        call.responseHeaders['set-cookie'] = `${TOKEN_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`;
        return {};
      },
    },
  ];
}
