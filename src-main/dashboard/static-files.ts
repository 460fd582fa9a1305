// Serves the built renderer (out/renderer) read-only, with headers that keep the page to itself:
// a strict CSP, no referrer (the URL holds the token), no sniffing, no framing.
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export const dashboardContentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': dashboardContentSecurityPolicy,
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

/** The file under `root` a URL path names, or null when it would leave `root`. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split(/[\\/]/).includes('..')) return null;
  const relative = normalize(decoded === '/' ? '/index.html' : decoded).replace(/^([/\\])+/, '');
  const base = resolve(root);
  const full = resolve(join(base, relative));
  return full === base || full.startsWith(base + sep) ? full : null;
}

export async function serveStatic(request: IncomingMessage, response: ServerResponse, root: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  const path = resolveStaticPath(root, new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
  const notFound = () => {
    response.writeHead(404, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('not found\n');
  };
  if (!path) return notFound();
  try {
    if (!(await stat(path)).isFile()) return notFound();
    const body = await readFile(path);
    const isPage = extname(path) === '.html';
    response.writeHead(200, {
      ...securityHeaders(),
      ...extraHeaders,
      'Content-Type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      'Content-Length': String(body.length),
      // Hashed asset names never change content; the page itself must not be cached with its token.
      'Cache-Control': isPage ? 'no-store' : 'private, max-age=31536000, immutable',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    notFound();
  }
}
