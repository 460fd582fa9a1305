import { loadAgentConfig, type AgentConfig } from '../config/index.js';
import { createApiClient, type ApiClient, type ApiClientOptions } from './index.js';
import type { ApiLogger } from './session.js';

/**
 * Client options from clearml.conf: api.api_server, api.credentials / api.auth_token, and the
 * api.http retry keys (retries.total → maxRetries, backoff_factor / backoff_max → backoff in
 * seconds, wait_on_maintenance_forever), api.verify_certificate and
 * api.auth.token_expiration_threshold_sec.
 * `overrides` win (one-shot commands ask for fewer retries than the daemon).
 */
export function apiClientOptionsFromConfig(config: AgentConfig, overrides: Partial<ApiClientOptions> = {}): ApiClientOptions {
  const { api } = config;
  if (!api.apiServer) {
    throw new Error('api.api_server is not set: put the server in clearml.conf (api { api_server: "http://127.0.0.1:8008" }), set CLEARML_API_HOST, or run `tray-agent init`');
  }
  const { accessKey, secretKey } = api.credentials;
  const credentials = accessKey && secretKey ? { accessKey, secretKey } : undefined;
  const authToken = api.authToken ?? undefined;
  return {
    apiServer: api.apiServer,
    credentials,
    authToken,
    workerName: config.agent.workerName || undefined,
    maxRetries: api.http.retries.total,
    retryBaseDelayMs: api.http.retries.backoffFactor * 1000,
    retryMaxDelayMs: api.http.retries.backoffMax * 1000,
    waitOnMaintenanceForever: api.http.waitOnMaintenanceForever,
    verifyCertificate: api.verifyCertificate,
    // Started from a token only, the client's own default (3600 s) applies, as in clearml.
    tokenRefreshThresholdSec: credentials ? api.auth.tokenExpirationThresholdSec : undefined,
    ...overrides,
  };
}

/** Retry budget of interactive one-shot commands (`task`, `list`): fail within seconds, not hours. */
export const interactiveRetryOverrides: Partial<ApiClientOptions> = { maxRetries: 2, retryBaseDelayMs: 500, retryMaxDelayMs: 10_000, waitOnMaintenanceForever: false };

/** Loads the configuration (`--config-file` or the usual search) and builds a client from it. */
export async function connectApiClient(options: { configFile?: string; logger?: ApiLogger; overrides?: Partial<ApiClientOptions> }): Promise<ApiClient> {
  const { config } = await loadAgentConfig({ configFile: options.configFile });
  return createApiClient(apiClientOptionsFromConfig(config, { logger: options.logger, ...options.overrides }));
}
