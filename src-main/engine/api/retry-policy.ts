/**
 * When a failed call is tried again, and after how long (reference §1.7): answers 429, 502,
 * 503 and 509 and requests that got no answer are retried with jittered, capped exponential
 * backoff; 503 ("maintenance") without limit when waitOnMaintenanceForever is set; any other
 * 4xx/5xx is final. 401 is handled by the session (one re-login), not here.
 */
export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  waitOnMaintenanceForever: boolean;
}

export const retryableHttpStatuses: ReadonlySet<number> = new Set([429, 502, 503, 509]);

export type FailureForRetry = { type: 'status'; status: number } | { type: 'no-answer' };

/** Whether to try again after `retriesSoFar` retries; 503 in maintenance mode ignores the budget. */
export function shouldRetry(failure: FailureForRetry, retriesSoFar: number, policy: RetryPolicy): boolean {
  if (failure.type === 'status') {
    if (!retryableHttpStatuses.has(failure.status)) return false;
    if (failure.status === 503 && policy.waitOnMaintenanceForever) return true;
  }
  return retriesSoFar < policy.maxRetries;
}

/**
 * Delay before retry number `retry` (1-based): base·2^(retry-1), capped, then jittered to
 * 50–100 % of that so that many agents restarted by one outage do not retry in lock-step.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
