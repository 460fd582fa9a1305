import { z } from 'zod';

/** ClearML's metadata items (queues, models): `{key, type, value}`, stored as a map by key. */
export const metadataItemSchema = z.object({ key: z.string().min(1), type: z.string().optional(), value: z.string().optional() });
export const metadataSchema = z.union([z.array(metadataItemSchema), z.record(z.string(), metadataItemSchema.partial())]);

export type MetadataMap = Record<string, { key: string; type?: string; value?: string }>;

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A list or a map of items → the stored map (a map's keys name items without their own key). */
export function metadataMap(input: z.output<typeof metadataSchema>): MetadataMap {
  const result: MetadataMap = {};
  const items = Array.isArray(input) ? input : Object.entries(input).map(([key, item]) => ({ ...item, key: item.key ?? key }));
  for (const item of items) defineOwn(result, item.key, item);
  return result;
}

/** `add_or_update_metadata`: items replace those with the same key (or everything, with replace). */
export function mergeMetadata(current: MetadataMap | undefined, items: readonly z.output<typeof metadataItemSchema>[], replace: boolean): MetadataMap {
  const result: MetadataMap = replace ? {} : { ...(current ?? {}) };
  for (const item of items) defineOwn(result, item.key, item);
  return result;
}

/** `delete_metadata`: drops the keys; returns the new map and whether anything went. */
export function withoutMetadataKeys(current: MetadataMap | undefined, keys: readonly string[]): { metadata: MetadataMap; removed: boolean } {
  const metadata: MetadataMap = { ...(current ?? {}) };
  let removed = false;
  for (const key of keys) {
    if (Object.hasOwn(metadata, key)) {
      delete metadata[key];
      removed = true;
    }
  }
  return { metadata, removed };
}
