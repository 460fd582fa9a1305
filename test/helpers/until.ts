/**
 * The tests' one polling wait: calls `check` until it gives something truthy (and returns that),
 * or fails after `timeoutMs` saying what it waited for (`what` may be a function, read only then,
 * e.g. to add a process's output so far).
 */
export async function until<T>(
  check: () => T | false | null | undefined | Promise<T | false | null | undefined>,
  timeoutMs = 5_000,
  what: string | (() => string) = 'a condition',
  intervalMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
