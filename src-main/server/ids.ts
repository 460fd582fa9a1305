import { randomUUID } from 'node:crypto';

/** Object and call ids the way ClearML makes them: uuid4 as 32 lowercase hex digits. */
export function newId(): string {
  return randomUUID().replaceAll('-', '');
}
