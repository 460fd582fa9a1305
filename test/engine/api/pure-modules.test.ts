import { describe, expect, it } from 'vitest';
import { compareApiVersions, apiVersionAtLeast, looksLikeClearmlId, exactNameRegex } from '../../../src-main/engine/api/index.js';
import { backoffDelayMs, shouldRetry, type RetryPolicy } from '../../../src-main/engine/api/retry-policy.js';
import { decodeServerToken, tokenNeedsRefresh, TokenDecodeError } from '../../../src-main/engine/api/token.js';
import { makeServerToken } from './fault-injecting-server.js';

describe('API version comparison', () => {
  it('compares per part, not as floats or strings', () => {
    expect(compareApiVersions('2.9', '2.13')).toBeLessThan(0);
    expect(compareApiVersions('2.13', '2.9')).toBeGreaterThan(0);
    expect(compareApiVersions('2.10', '2.1')).toBeGreaterThan(0);
    expect(compareApiVersions('2.31', '2.31')).toBe(0);
    expect(compareApiVersions('3.0', '2.31')).toBeGreaterThan(0);
    expect(apiVersionAtLeast('2.13', '2.9')).toBe(true);
    expect(apiVersionAtLeast('2.9', '2.10')).toBe(false);
  });
  it('rejects something that is not a version', () => {
    expect(() => compareApiVersions('latest', '2.1')).toThrow(/not an API version/);
  });
});

describe('retry policy', () => {
  const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 5000, waitOnMaintenanceForever: false };
  it('grows exponentially, is capped and jittered to 50–100 %', () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(500);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(1000);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(4000);
    expect(backoffDelayMs(10, policy, () => 1)).toBe(5000);
    expect(backoffDelayMs(10, policy, () => 0)).toBe(2500);
  });
  it('retries only the transient statuses and no-answer, within the budget', () => {
    expect(shouldRetry({ type: 'status', status: 503 }, 0, policy)).toBe(true);
    expect(shouldRetry({ type: 'status', status: 400 }, 0, policy)).toBe(false);
    expect(shouldRetry({ type: 'no-answer' }, 2, policy)).toBe(true);
    expect(shouldRetry({ type: 'no-answer' }, 3, policy)).toBe(false);
    expect(shouldRetry({ type: 'status', status: 503 }, 99, { ...policy, waitOnMaintenanceForever: true })).toBe(true);
    expect(shouldRetry({ type: 'status', status: 502 }, 3, { ...policy, waitOnMaintenanceForever: true })).toBe(false);
  });
});

describe('token claims', () => {
  it('falls back to 2.2 on prod servers and to 2.5 otherwise when api_version is missing', async () => {
    expect(decodeServerToken(await makeServerToken({ iatSec: 1, env: 'prod' })).capabilities.apiVersion).toBe('2.2');
    expect(decodeServerToken(await makeServerToken({ iatSec: 1 })).capabilities.apiVersion).toBe('2.5');
  });
  it('treats a token without exp as never expiring', async () => {
    const info = decodeServerToken(await makeServerToken({ iatSec: 1 }));
    expect(info.expiresAtMs).toBeNull();
    expect(tokenNeedsRefresh(info, 43_200, Date.now())).toBe(false);
    expect(info.capabilities.longPollMaxMs).toBeNull();
    expect(info.capabilities.trayAgentExtensions).toBe(false);
  });
  it('refuses a string that is not a JWT', () => {
    expect(() => decodeServerToken('not-a-token')).toThrow(TokenDecodeError);
  });
});

describe('ids and names', () => {
  it('takes 30+ hex/dash characters as an id and anything else as a name', () => {
    expect(looksLikeClearmlId('0123456789abcdef0123456789abcdef')).toBe(true);
    expect(looksLikeClearmlId('default')).toBe(false);
    expect(looksLikeClearmlId('0123456789ABCDEF0123456789ABCDEF')).toBe(false);
  });
  it('escapes regex characters so a name matches only itself', () => {
    const regex = new RegExp(exactNameRegex('gpu.queue (a+b)'));
    expect(regex.test('gpu.queue (a+b)')).toBe(true);
    expect(regex.test('gpuXqueue (aab)')).toBe(false);
  });
});
