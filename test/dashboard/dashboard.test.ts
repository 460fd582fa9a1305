import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { WebSocket } from 'ws';
import { startDashboard, type Dashboard } from '../../src-main/dashboard/index.js';
import { ScriptedAgentHost } from '../helpers/scripted-agent-host.js';
import type { DashboardServerMessage } from '../../src-shared/dashboard-protocol.js';
import { until } from '../helpers/until.js';

// The dashboard over real HTTP and WebSocket: loopback only, the token, the Origin and Host
// checks, payload validation, and events reaching the page.

let dashboard: Dashboard;
let host: ScriptedAgentHost;
let rendererDir: string;
let base: string;
let token: string;

beforeAll(async () => {
  rendererDir = mkdtempSync(join(tmpdir(), 'dash-renderer-'));
  mkdirSync(join(rendererDir, 'assets'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Tray Agent</title>');
  writeFileSync(join(rendererDir, 'assets', 'app-1234.js'), 'console.log(1)');
  host = new ScriptedAgentHost();
  dashboard = await startDashboard({ handler: host, rendererDir });
  const url = new URL(dashboard.url);
  base = `http://127.0.0.1:${dashboard.port}`;
  token = url.searchParams.get('token')!;
});
afterAll(async () => {
  await dashboard.close();
  rmSync(rendererDir, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(query: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; messages: DashboardServerMessage[] } | { refused: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${dashboard.port}/bridge${query}`, { headers });
    const messages: DashboardServerMessage[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as DashboardServerMessage));
    ws.on('open', () => resolve({ ws, messages }));
    ws.on('unexpected-response', (_req, res) => resolve({ refused: res.statusCode ?? 0 }));
    ws.on('error', () => undefined);
  });
}

describe('dashboard HTTP', () => {
  it('prints a URL on 127.0.0.1 with a long random token', () => {
    expect(dashboard.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${dashboard.port}/\\?token=[A-Za-z0-9_-]{32}$`));
  });

  it('listens on loopback only', async () => {
    const others = Object.values(networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal);
    for (const address of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const req = httpRequest(`http://${address!.address}:${dashboard.port}/?token=${token}`, () => resolve(false));
        req.on('error', () => resolve(true));
        req.end();
      });
      expect(refused, `reachable on ${address!.address}`).toBe(true);
    }
    expect((await get(`/?token=${token}`)).status).toBe(200);
  });

  it('refuses the page without a token or with a wrong one', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get(`/?token=${token.slice(0, -1)}x`)).status).toBe(401);
    expect((await get('/')).body).toContain('open the dashboard address tray-agent printed');
  });

  it('serves the page with the token, a strict CSP, no referrer, and a cookie for its assets', async () => {
    const page = await get(`/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Tray Agent</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await get('/assets/app-1234.js', { cookie })).status).toBe(200);
    expect((await get('/assets/app-1234.js')).status).toBe(401);
  });

  it('refuses another Origin and a non-loopback Host even with the token', async () => {
    const other = await get(`/?token=${token}`, { origin: 'http://evil.example' });
    expect(other.status).toBe(403);
    expect(other.body).toContain('http://evil.example are not accepted');
    expect((await get(`/?token=${token}`, { host: 'evil.example' })).status).toBe(403);
    // Through an SSH tunnel the port differs; the host is still loopback: allowed.
    expect((await get(`/?token=${token}`, { host: 'localhost:9000', origin: 'http://localhost:9000' })).status).toBe(200);
  });

  it('serves nothing outside the renderer folder and only reads', async () => {
    expect((await get(`/../package.json?token=${token}`)).status).toBe(404);
    expect((await get(`/%2e%2e/%2e%2e/etc/passwd?token=${token}`)).status).toBe(404);
    expect((await get(`/?token=${token}`, {}, 'POST')).status).toBe(405);
  });
});

describe('dashboard bridge socket', () => {
  it('refuses an upgrade without the token, with a wrong one, or from another Origin', async () => {
    expect(await openSocket('')).toEqual({ refused: 401 });
    expect(await openSocket('?token=nope')).toEqual({ refused: 401 });
    expect(await openSocket(`?token=${token}`, { origin: 'http://evil.example' })).toEqual({ refused: 403 });
    expect(await openSocket(`?token=${token}`, { origin: `http://127.0.0.1:${dashboard.port + 1}` })).toEqual({ refused: 403 });
  });

  it('answers calls, checks payloads, reports handler errors and forwards events', async () => {
    const opened = await openSocket(`?token=${token}`, { origin: `http://127.0.0.1:${dashboard.port}` });
    if (!('ws' in opened)) throw new Error(`refused ${opened.refused}`);
    const { ws, messages } = opened;
    const reply = (id: number) => until(() => messages.find((m) => m.type === 'result' && m.id === id), 3_000, `the result of call ${id}`, 10);

    ws.send(JSON.stringify({ type: 'call', id: 1, name: 'getSnapshot', args: {} }));
    expect(await reply(1)).toMatchObject({ ok: true, result: { state: 'running' } });

    ws.send(JSON.stringify({ type: 'call', id: 2, name: 'setQueues', args: { queues: [''], orderFairness: false } }));
    expect(await reply(2)).toMatchObject({ ok: false, error: { code: 'invalid-args', message: expect.stringContaining('setQueues: queues.0:') } });

    ws.send(JSON.stringify({ type: 'call', id: 3, name: 'stopTask', args: { taskId: 'x; rm -rf /' } }));
    expect(await reply(3)).toMatchObject({ ok: false, error: { code: 'invalid-args' } });

    ws.send(JSON.stringify({ type: 'call', id: 4, name: 'runShell', args: {} }));
    expect(await reply(4)).toMatchObject({ ok: false, error: { code: 'unknown-call' } });

    ws.send(JSON.stringify({ type: 'call', id: 5, name: 'pause', args: { until: null, extra: 1 } }));
    expect(await reply(5)).toMatchObject({ ok: false, error: { code: 'invalid-args' } });

    ws.send(JSON.stringify({ type: 'call', id: 6, name: 'stopTask', args: { taskId: 'not-running' } }));
    expect(await reply(6)).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('not running here') } });
    const dispatched = host.calls.map((c) => c.name);
    expect(dispatched).not.toContain('setQueues');
    expect(dispatched.filter((n) => n === 'stopTask')).toHaveLength(1);

    host.appendLog('task-1', 3);
    const event = await until(() => messages.find((m) => m.type === 'event' && m.event === 'taskLog'), 3_000, 'a taskLog event', 10);
    expect(event).toMatchObject({ payload: { taskId: 'task-1', lines: [{ seq: 0 }, { seq: 1 }, { seq: 2 }] } });

    ws.send(JSON.stringify({ type: 'call', id: 7, name: 'pause', args: { until: null } }));
    expect(await reply(7)).toMatchObject({ ok: true, result: { state: 'running', schedule: { force: { value: 'off' } } } });
    expect(await until(() => messages.find((m) => m.type === 'event' && m.event === 'snapshot'), 3_000, 'a snapshot event', 10)).toBeTruthy();
    ws.close();
  });

  it('closes a socket that sends something other than call frames', async () => {
    const opened = await openSocket(`?token=${token}`);
    if (!('ws' in opened)) throw new Error('refused');
    const code = await new Promise<number>((resolve) => {
      opened.ws.on('close', (c) => resolve(c));
      opened.ws.send('not json');
    });
    expect(code).toBe(1003);
  });
});

describe('dashboard start', () => {
  it('fails clearly when the page is not built', async () => {
    await expect(startDashboard({ handler: new ScriptedAgentHost(), rendererDir: join(tmpdir(), 'no-such-renderer') })).rejects.toThrow(/not built .* run `npm run build`/);
  });
  it('fails clearly when the port is taken', async () => {
    await expect(startDashboard({ handler: new ScriptedAgentHost(), rendererDir, port: dashboard.port })).rejects.toThrow(/dashboard port \d+ is in use; pick another with --dashboard-port/);
  });
});

describe('static path resolution', () => {
  it('never leaves the renderer folder, however the path is encoded', async () => {
    const { resolveStaticPath } = await import('../../src-main/dashboard/static-files.js');
    expect(resolveStaticPath('/srv/r', '/')).toBe('/srv/r/index.html');
    expect(resolveStaticPath('/srv/r', '/assets/a.js')).toBe('/srv/r/assets/a.js');
    expect(resolveStaticPath('/srv/r', '/..%2f..%2fetc%2fpasswd')).toBeNull();
    expect(resolveStaticPath('/srv/r', '/assets/..%2f..%2fpackage.json')).toBeNull();
    expect(resolveStaticPath('/srv/r', '/a%00.js')).toBeNull();
    expect(resolveStaticPath('/srv/r', '/%E0%A4%A')).toBeNull();
  });
});

describe('a page that falls behind', () => {
  it('is closed with the "too slow" code so it reconnects and reads again (socket stand-in with a full send buffer)', async () => {
    const { serveBridgeSocket, maxBufferedBytes } = await import('../../src-main/dashboard/bridge-socket.js');
    const { EventEmitter } = await import('node:events');
    const closed: number[] = [];
    const sent: string[] = [];
    const socket = Object.assign(new EventEmitter(), {
      OPEN: 1,
      readyState: 1,
      bufferedAmount: 0,
      send: (data: string) => sent.push(data),
      close: (code: number) => closed.push(code),
    });
    const slowHost = new ScriptedAgentHost();
    serveBridgeSocket(socket as never, slowHost);
    slowHost.appendLog('t', 1);
    expect(sent).toHaveLength(1);
    socket.bufferedAmount = maxBufferedBytes + 1;
    slowHost.appendLog('t', 1);
    expect(sent).toHaveLength(1);
    expect(closed).toEqual([4408]);
  });
});
