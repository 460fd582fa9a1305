import { expect, it } from 'vitest';
import { MAX_RETRY_DELAY_MS, defaultRetryDelayMs } from '../../../src-main/engine/logs/index.js';

it('backs off exponentially from 250 ms, with jitter, never beyond 5 s', () => {
  expect([1, 2, 3, 4].map((a) => defaultRetryDelayMs(a, () => 1))).toEqual([250, 500, 1000, 2000]);
  expect(defaultRetryDelayMs(1, () => 0)).toBe(125);
  for (const attempt of [6, 10, 100, 10_000]) {
    expect(defaultRetryDelayMs(attempt, () => 1)).toBe(MAX_RETRY_DELAY_MS);
    expect(defaultRetryDelayMs(attempt, () => 0)).toBe(MAX_RETRY_DELAY_MS / 2);
  }
  const samples = Array.from({ length: 200 }, () => defaultRetryDelayMs(20));
  expect(Math.min(...samples)).toBeGreaterThanOrEqual(2500);
  expect(Math.max(...samples)).toBeLessThanOrEqual(5000);
  expect(new Set(samples).size).toBeGreaterThan(1);
});
