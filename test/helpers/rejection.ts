import { expect } from 'vitest';

/** What `promise` rejects with, checked to be an `ErrorClass`; fails the test when it resolves instead. */
export async function rejectionOf<E extends Error>(promise: Promise<unknown>, ErrorClass: abstract new (...args: never[]) => E): Promise<E> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ErrorClass);
  return error as E;
}
