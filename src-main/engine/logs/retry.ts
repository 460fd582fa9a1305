export const MAX_RETRY_DELAY_MS = 5000;
const FIRST_RETRY_DELAY_MS = 250;

/**
 * Delay before retry `attempt` (1, 2, …) of a failed batch: doubling from 250 ms, capped at 5 s,
 * with jitter (50–100 % of that) so agents that lost the same server do not return in lockstep.
 */
export function defaultRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 16);
  const base = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** exponent);
  return Math.round(base * (0.5 + 0.5 * random()));
}
