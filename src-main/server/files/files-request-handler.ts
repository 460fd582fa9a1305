import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import Busboy, { type BusboyHeaders } from '@fastify/busboy';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '../http/api-error.js';
import { contentTypeOf, UnsafePathError, type FileStore, type StagedObject } from './file-store.js';

export interface FilesHandlerOptions {
  store: FileStore;
  /** Largest upload body accepted, in bytes; larger ones are answered 413. */
  maxUploadBytes: number;
  /** Checks the caller's credentials (throws the 401 ApiError); null when no credentials are needed. */
  authorize: ((req: IncomingMessage) => Promise<void>) | null;
  log: (line: string) => void;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function answer(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function tooLarge(size: number, limit: number): HttpProblem {
  return new HttpProblem(413, `upload of ${size} bytes is over the files server's limit of ${limit} bytes; start the server with a larger --files-max-upload-mb`);
}

/**
 * The request body, cut off with a 413 as soon as it passes `limit` (before the rest is read).
 * `exceeded()` tells a parse failure caused by the cut.
 */
function limitedBody(req: IncomingMessage, limit: number): { stream: Transform; exceeded: () => HttpProblem | null } {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(declared, limit);
  let size = 0;
  let problem: HttpProblem | null = null;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) {
        problem = tooLarge(size, limit);
        callback(problem);
        return;
      }
      callback(null, chunk);
    },
  });
  return { stream: counter, exceeded: () => problem };
}

/**
 * Parses the multipart body as it streams in (busboy): each file part goes straight to a staged
 * file on disk, so an upload never sits in memory whole. Every part's path is checked as its part
 * begins; nothing is committed until the whole body has arrived and parsed.
 */
async function stageUpload(req: IncomingMessage, store: FileStore, maxUploadBytes: number): Promise<Array<{ path: string; staged: StagedObject }>> {
  const body = limitedBody(req, maxUploadBytes);
  const staged: Array<{ path: string; staged: StagedObject }> = [];
  const writes: Array<Promise<void>> = [];
  let refused: unknown = null;
  const parser = Busboy({ headers: req.headers as BusboyHeaders });
  // File parts still being read: a body cut off (413) or broken ends them, so no write waits on
  // a part that will never finish.
  const reading = new Set<Readable>();
  parser.on('file', (path, stream) => {
    if (refused !== null) {
      stream.resume();
      return;
    }
    try {
      store.resolvePath(path);
    } catch (error) {
      refused = error;
      stream.resume();
      return;
    }
    reading.add(stream);
    stream.once('close', () => reading.delete(stream));
    writes.push(
      store.stage(path, stream).then(
        (object) => void staged.push({ path, staged: object }),
        (error: unknown) => {
          // The disk refused (full, permissions): stop reading the body.
          refused ??= error;
          parser.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      ),
    );
  });
  try {
    try {
      await pipeline(req, body.stream, parser);
    } catch (error) {
      const problem = body.exceeded() ?? refused ?? new HttpProblem(400, `malformed multipart body: ${(error as Error).message}`);
      for (const stream of reading) stream.destroy(problem instanceof Error ? problem : new Error(String(problem)));
      throw problem;
    } finally {
      await Promise.all(writes);
    }
    if (refused !== null) throw refused;
    if (staged.length === 0) throw new HttpProblem(400, 'the multipart body holds no file part');
    return staged;
  } catch (error) {
    await Promise.all(staged.map((s) => s.staged.discard()));
    throw error;
  }
}

/**
 * ClearML's file server protocol, as the SDK's HTTP storage driver speaks it: `POST /` with a
 * multipart body whose field names are the object paths (`files={path: (path, stream)}`),
 * answered with the JSON list of stored paths; `GET /<path>` (`?download` for an attachment),
 * `HEAD /<path>`, `DELETE /<path>`.
 */
export function createFilesRequestHandler(options: FilesHandlerOptions) {
  const { store } = options;

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*;/i.test(contentType)) {
      throw new HttpProblem(400, 'uploads are multipart/form-data with one part per file, named by its object path');
    }
    const files = await stageUpload(req, store, options.maxUploadBytes);
    const stored: string[] = [];
    for (const { path, staged } of files) {
      await staged.commit();
      stored.push(path.replace(/^\/+/, ''));
    }
    answer(res, 200, JSON.stringify(stored), 'application/json');
  }

  async function download(req: IncomingMessage, res: ServerResponse, path: string, headOnly: boolean, asAttachment: boolean): Promise<void> {
    const stats = store.stat(path);
    if (!stats) throw new HttpProblem(404, `no file at /${path.replace(/^\/+/, '')}`);
    const headers: Record<string, string | number> = {
      'content-type': contentTypeOf(path),
      'content-length': stats.size,
      'last-modified': stats.mtime.toUTCString(),
    };
    if (asAttachment) headers['content-disposition'] = `attachment; filename="${encodeURIComponent(path.split('/').pop() ?? 'file')}"`;
    res.writeHead(200, headers);
    if (headOnly) {
      res.end();
      return;
    }
    await pipeline(store.read(path), res);
  }

  async function remove(res: ServerResponse, path: string): Promise<void> {
    if (!(await store.delete(path))) throw new HttpProblem(404, `no file at /${path.replace(/^\/+/, '')}`);
    answer(res, 200, JSON.stringify({ deleted: path.replace(/^\/+/, '') }), 'application/json');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.authorize) await options.authorize(req);
    const url = new URL(req.url ?? '/', 'http://files.local');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw new HttpProblem(400, `"${url.pathname}" is not a valid URL path`);
    }
    const method = req.method ?? 'GET';
    if (method === 'POST' && (path === '/' || path === '')) return upload(req, res);
    if (path === '/' || path === '') throw new HttpProblem(404, 'give a file path: GET/HEAD/DELETE /<path>, or POST / to upload');
    if (method === 'GET' || method === 'HEAD') return download(req, res, path, method === 'HEAD', url.searchParams.has('download'));
    if (method === 'DELETE') return remove(res, path);
    res.setHeader('allow', 'GET, HEAD, DELETE, POST');
    throw new HttpProblem(405, `${method} is not a files server method (GET, HEAD, DELETE /<path>; POST / uploads)`);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      req.resume();
      if (error instanceof HttpProblem) {
        if (error.status === 413) res.setHeader('connection', 'close');
        answer(res, error.status, `${error.message}\n`);
        return;
      }
      if (error instanceof UnsafePathError) {
        answer(res, 403, `refused: ${error.message}\n`);
        return;
      }
      if (error instanceof ApiError) {
        answer(res, error.code, `${error.message}\n`);
        return;
      }
      options.log(`files server: ${req.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) answer(res, 500, 'files server error\n');
      else res.destroy();
    });
  };
}
