import { createReadStream, mkdirSync, statSync, type ReadStream, type Stats } from 'node:fs';
import { open, rename, rm, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';

export class UnsafePathError extends Error {}

/** An upload written to disk but not yet in place (see FileStore.stage). */
export interface StagedObject {
  readonly size: number;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** Content types by extension for what task files usually are (debug images, reports, logs). */
const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.mp4': 'video/mp4',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The files server's storage: objects under one root folder, addressed by the relative paths
 * the ClearML SDK uses (`<project>/<task>.<id>/artifacts/<name>/<file>`). Paths that would
 * leave the root (`..`, NUL) are refused; writes land under a temporary name and are renamed
 * into place, so a reader never sees half a file.
 */
export class FileStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  /**
   * The absolute path of an object (`objectPath` as a plain, already URL-decoded string);
   * throws UnsafePathError for a path outside the root.
   */
  resolvePath(objectPath: string): string {
    const decoded = objectPath;
    const trimmed = decoded.replace(/^\/+/, '');
    if (trimmed === '' || trimmed.includes('\0')) throw new UnsafePathError('empty or invalid object path');
    if (trimmed.split(/[\\/]/).some((part) => part === '..')) throw new UnsafePathError(`"${decoded}" climbs out of the files folder`);
    const absolute = resolve(this.root, trimmed);
    const inside = relative(this.root, absolute);
    if (inside === '' || inside.startsWith('..') || inside.startsWith(sep) || resolve(this.root, inside) !== absolute) {
      throw new UnsafePathError(`"${decoded}" is outside the files folder`);
    }
    return absolute;
  }

  /**
   * Streams `chunks` into a private temp file beside the object at `objectPath`; nothing is
   * visible until `commit()` renames it in (replacing the object), and `discard()` removes it.
   * An upload stages each of its files and commits them only once all have arrived.
   */
  async stage(objectPath: string, chunks: AsyncIterable<Uint8Array>): Promise<StagedObject> {
    const target = this.resolvePath(objectPath);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    const temporary = join(dirname(target), `.upload-${randomUUID()}`);
    const handle = await open(temporary, 'wx', 0o600);
    let size = 0;
    try {
      for await (const chunk of chunks) {
        await handle.write(chunk);
        size += chunk.byteLength;
      }
      await handle.close();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temporary, { force: true });
      throw error;
    }
    return {
      size,
      commit: () => rename(temporary, target),
      discard: () => rm(temporary, { force: true }),
    };
  }

  /** The object's stats, or undefined when there is no such file. */
  stat(objectPath: string): Stats | undefined {
    try {
      const stats = statSync(this.resolvePath(objectPath));
      return stats.isFile() ? stats : undefined;
    } catch (error) {
      if (error instanceof UnsafePathError) throw error;
      return undefined;
    }
  }

  read(objectPath: string): ReadStream {
    return createReadStream(this.resolvePath(objectPath));
  }

  /** Deletes the object; false when it did not exist. */
  async delete(objectPath: string): Promise<boolean> {
    if (!this.stat(objectPath)) return false;
    await unlink(this.resolvePath(objectPath));
    return true;
  }
}
