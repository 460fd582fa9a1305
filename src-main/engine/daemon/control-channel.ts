// A per-process local control socket, so `daemon --stop` can stop or drain one daemon inside a
// process that hosts more (the tray, `up` with its embedded server) without ending the process.
// Unix socket (named pipe on Windows) in a 0700 folder, mode 0600: only this user can connect.
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { mkdir, rm, chmod } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export type ControlRequest = { readonly op: 'stop' | 'drain'; readonly workerId: string };
export type ControlReply = { readonly ok: true; readonly result: 'stopping' | 'draining' } | { readonly ok: false; readonly error: string };

export interface ControlChannel {
  readonly path: string;
  close(): Promise<void>;
}

// sun_path holds 108 bytes on Linux (104 on macOS): long state folders fall back to /tmp.
const MAX_SOCKET_PATH = 100;

async function socketPathFor(stateDir: string): Promise<string> {
  if (process.platform === 'win32') return `\\\\.\\pipe\\tray-agent-${userInfo().username}-${process.pid}`;
  let dir = join(stateDir, 'control');
  if (join(dir, `${process.pid}.sock`).length > MAX_SOCKET_PATH) dir = join(tmpdir(), `tray-agent-${userInfo().uid}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700).catch(() => undefined);
  const path = join(dir, `${process.pid}.sock`);
  await rm(path, { force: true });
  return path;
}

function readLine(socket: Socket, maxBytes: number, onLine: (line: string) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    if (buffered.length > maxBytes) socket.destroy();
    const end = buffered.indexOf('\n');
    if (end >= 0) onLine(buffered.slice(0, end));
  });
}

export async function openControlChannel(options: {
  stateDir: string;
  handle: (request: ControlRequest) => Promise<ControlReply>;
}): Promise<ControlChannel> {
  const path = await socketPathFor(options.stateDir);
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    readLine(socket, 4096, (line) => {
      let request: ControlRequest;
      try {
        const parsed = JSON.parse(line) as Partial<ControlRequest>;
        if ((parsed.op !== 'stop' && parsed.op !== 'drain') || typeof parsed.workerId !== 'string') throw new Error('bad request');
        request = { op: parsed.op, workerId: parsed.workerId };
      } catch {
        socket.end(`${JSON.stringify({ ok: false, error: 'expected {"op":"stop"|"drain","workerId":"..."}' })}\n`);
        return;
      }
      options.handle(request).then(
        (reply) => socket.end(`${JSON.stringify(reply)}\n`),
        (error: unknown) => socket.end(`${JSON.stringify({ ok: false, error: String(error) })}\n`),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  server.unref();
  if (process.platform !== 'win32') await chmod(path, 0o600);
  return {
    path,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (process.platform !== 'win32') await rm(path, { force: true });
    },
  };
}

/** Sends one request; rejects when nobody answers within `timeoutMs`. */
export function sendControlRequest(path: string, request: ControlRequest, timeoutMs = 5_000): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    readLine(socket, 4096, (line) => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(JSON.parse(line) as ControlReply);
      } catch {
        reject(new Error(`unreadable answer on ${path}`));
      }
    });
  });
}
