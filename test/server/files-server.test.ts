import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { login, nodeRequest, type Session } from './api-call.js';

const run = promisify(execFile);
let server: TestServer;
let session: Session;

beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: 256 * 1024 });
  session = await login(server);
});
afterAll(() => server.close());

/** The multipart body the ClearML SDK's HTTP driver sends: one part named by the object path. */
function sdkUpload(path: string, content: Buffer, contentType = 'application/octet-stream'): { body: Buffer<ArrayBuffer>; headers: Record<string, string> } {
  const boundary = `----tray${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${path}"; filename="${path}"\r\nContent-Type: ${contentType}\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), content, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${session.token}` } };
}

async function upload(baseUrl: string, path: string, content: Buffer, contentType?: string) {
  const { body, headers } = sdkUpload(path, content, contentType);
  return fetch(`${baseUrl}/`, { method: 'POST', headers, body });
}

/**
 * One file part streamed with chunked encoding (no Content-Length): `count` writes of `chunk`,
 * honouring backpressure; resolves with the answer's status. `cutOff`: the server may answer and
 * close the connection before the body is sent, which is then not an error.
 */
function streamedUpload(baseUrl: string, path: string, chunk: Buffer, count: number, options: { cutOff?: boolean } = {}): Promise<number> {
  const boundary = `tray-stream-${randomBytes(4).toString('hex')}`;
  return new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${baseUrl}/`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', options.cutOff ? () => undefined : reject);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="${path}"; filename="${path}"\r\n\r\n`);
    let sent = 0;
    const pump = (): void => {
      while (sent < count && !req.destroyed) {
        sent += 1;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
    if (options.cutOff) setTimeout(() => reject(new Error('no answer to the over-limit stream')), 10_000).unref();
  });
}

describe('files server', () => {
  it('runs on its own port, next to the API', () => {
    expect(server.server.filesUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.server.filesPort).not.toBe(server.server.port);
    expect(server.server.filesNeedCredentials).toBe(false);
  });

  it('takes the SDK multipart upload and serves it back byte for byte (GET, HEAD, ?download), under the data dir', async () => {
    const content = randomBytes(100_000);
    const path = 'My Project/train.0123456789abcdef0123456789abcdef/artifacts/weights/weights.bin';
    const response = await upload(server.server.filesUrl, path, content);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([path]);
    expect(readFileSync(join(server.dataDir, 'files', path)).equals(content)).toBe(true);

    const url = `${server.server.filesUrl}/${path.split('/').map(encodeURIComponent).join('/')}`;
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await got.arrayBuffer()).equals(content)).toBe(true);
    const head = await fetch(url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(content.length)]);
    const attachment = await fetch(`${url}?download`);
    expect(attachment.headers.get('content-disposition')).toBe('attachment; filename="weights.bin"');
    await attachment.arrayBuffer();

    const image = await upload(server.server.filesUrl, 'p/t/metrics/loss/curve/0.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png');
    expect(image.status).toBe(200);
    expect((await fetch(`${server.server.filesUrl}/p/t/metrics/loss/curve/0.png`)).headers.get('content-type')).toBe('image/png');
    // replacing a file leaves no temporary upload behind
    await upload(server.server.filesUrl, 'p/t/metrics/loss/curve/0.png', Buffer.from('v2'));
    expect(readdirSync(join(server.dataDir, 'files', 'p/t/metrics/loss/curve'))).toEqual(['0.png']);
  });

  it('DELETE removes a file; unknown files are 404', async () => {
    await upload(server.server.filesUrl, 'to-delete/a.txt', Buffer.from('x'));
    const deleted = await fetch(`${server.server.filesUrl}/to-delete/a.txt`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(existsSync(join(server.dataDir, 'files', 'to-delete/a.txt'))).toBe(false);
    expect((await fetch(`${server.server.filesUrl}/to-delete/a.txt`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${server.server.filesUrl}/to-delete/a.txt`)).status).toBe(404);
    expect((await fetch(`${server.server.filesUrl}/to-delete`)).status).toBe(404);
  });

  it('refuses paths that climb out of the files folder, in uploads and in URLs', async () => {
    for (const path of ['../outside.txt', 'a/../../outside.txt', '/../x', 'a/\0b']) {
      const response = await upload(server.server.filesUrl, path, Buffer.from('nope'));
      expect(response.status, path).toBe(403);
      expect(await response.text()).toMatch(/refused/);
    }
    expect(existsSync(join(server.dataDir, 'outside.txt'))).toBe(false);
    for (const path of ['/%2e%2e/server.db', '/..%2fserver.db', '/a/..%2f..%2fserver.db']) {
      const response = await nodeRequest(server.server.filesUrl, { method: 'GET', path });
      expect([403, 404], path).toContain(response.status);
      expect(response.text).not.toContain('SQLite');
    }
  });

  it('answers an upload over the size limit with a clear 413 and keeps serving', async () => {
    const response = await upload(server.server.filesUrl, 'big/blob.bin', randomBytes(300 * 1024));
    expect(response.status).toBe(413);
    expect(await response.text()).toMatch(/over the files server's limit of 262144 bytes; .*--files-max-upload-mb/);
    expect(existsSync(join(server.dataDir, 'files', 'big'))).toBe(false);
    expect((await upload(server.server.filesUrl, 'small/ok.bin', Buffer.from('ok'))).status).toBe(200);
  });

  it('cuts a streamed (chunked, no Content-Length) upload off at the limit with a 413 and leaves no file behind', async () => {
    // The server answers and closes the connection once past the limit; later writes may fail.
    const status = await streamedUpload(server.server.filesUrl, 'cut/blob.bin', randomBytes(16 * 1024), 64, { cutOff: true });
    expect(status).toBe(413);
    const cutDir = join(server.dataDir, 'files', 'cut');
    expect(existsSync(cutDir) ? readdirSync(cutDir) : []).toEqual([]);
    expect((await upload(server.server.filesUrl, 'small/after-cut.bin', Buffer.from('ok'))).status).toBe(200);
  });

  it('commits nothing of a multi-file upload when one of its paths is refused', async () => {
    const boundary = 'tray-two-parts';
    const part = (path: string, text: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${path}"; filename="${path}"\r\n\r\n${text}\r\n`;
    const response = await fetch(`${server.server.filesUrl}/`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `${part('two/first.txt', 'first')}${part('../escape.txt', 'second')}--${boundary}--\r\n`,
    });
    expect(response.status).toBe(403);
    const twoDir = join(server.dataDir, 'files', 'two');
    expect(existsSync(twoDir) ? readdirSync(twoDir) : []).toEqual([]);
    expect(existsSync(join(server.dataDir, 'escape.txt'))).toBe(false);
  });

  it('streams an upload to disk: a 192 MiB file does not sit in the server\'s memory', async () => {
    const big = await startTestServer({ maxUploadBytes: 512 * 1024 * 1024 });
    try {
      const chunk = randomBytes(1024 * 1024);
      const total = 192;
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
      const status = await streamedUpload(big.server.filesUrl, 'models/big.bin', chunk, total);
      clearInterval(sampler);
      expect(status).toBe(200);
      expect(statSync(join(big.dataDir, 'files', 'models', 'big.bin')).size).toBe(total * 1024 * 1024);
      // Buffered whole, the body alone would add 192 MiB; streamed, the growth is the pipes' buffers.
      expect(rssPeak - rssBefore).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await big.close();
    }
  }, 60_000);

  it('refuses what is not an upload: no multipart, no file part, a malformed body', async () => {
    expect((await fetch(`${server.server.filesUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(400);
    const form = new FormData();
    form.append('just', 'text');
    expect((await fetch(`${server.server.filesUrl}/`, { method: 'POST', body: form })).status).toBe(400);
    const broken = await fetch(`${server.server.filesUrl}/`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=zz' }, body: '--zz\r\ngarbage' });
    expect(broken.status).toBe(400);
    expect((await fetch(`${server.server.filesUrl}/x.txt`, { method: 'PUT', body: 'x' })).status).toBe(405);
  });

  it('the API port answers file requests too (a clearml.conf whose files_server is the API URL)', async () => {
    const response = await upload(server.url, 'via-api/file.txt', Buffer.from('through the API port'));
    expect(response.status).toBe(200);
    expect(await (await fetch(`${server.server.filesUrl}/via-api/file.txt`)).text()).toBe('through the API port');
    expect(await (await fetch(`${server.url}/via-api/file.txt`)).text()).toBe('through the API port');
  });

  it('a Python client built like the SDK driver (standard library only) uploads and downloads', async () => {
    const script = String.raw`
import sys, os, uuid, urllib.request
base, token, path = sys.argv[1], sys.argv[2], sys.argv[3]
content = os.urandom(50000)
boundary = uuid.uuid4().hex
body = (f'--{boundary}\r\nContent-Disposition: form-data; name="{path}"; filename="{path}"\r\n'
        f'Content-Type: application/octet-stream\r\n\r\n').encode() + content + f'\r\n--{boundary}--\r\n'.encode()
req = urllib.request.Request(base + '/', data=body, method='POST', headers={
    'Content-Type': f'multipart/form-data; boundary={boundary}', 'Authorization': f'Bearer {token}'})
with urllib.request.urlopen(req) as res:
    assert res.status == 200, res.status
    print(res.read().decode())
with urllib.request.urlopen(urllib.request.Request(base + '/' + urllib.request.quote(path), headers={'Authorization': f'Bearer {token}'})) as res:
    assert res.read() == content, 'download differs'
print('ok')
`;
    const { stdout } = await run('python3', ['-c', script, server.server.filesUrl, session.token, 'py project/task.abc/artifacts/data/data.bin']);
    expect(stdout).toContain('["py project/task.abc/artifacts/data/data.bin"]');
    expect(stdout.trim().endsWith('ok')).toBe(true);
  });
});

describe('files server beyond loopback', () => {
  let open: TestServer;
  let openSession: Session;

  beforeAll(async () => {
    open = await startTestServer({ host: '0.0.0.0' });
    openSession = await login({ url: open.url.replace('0.0.0.0', '127.0.0.1'), credentials: open.credentials });
  });
  afterAll(() => open.close());

  it('asks for the API credentials (Bearer or Basic) when the server listens on every interface', async () => {
    expect(open.server.filesNeedCredentials).toBe(true);
    const filesUrl = open.server.filesUrl.replace('0.0.0.0', '127.0.0.1');
    const form = () => {
      const data = new FormData();
      data.append('secret/a.txt', new Blob(['classified']), 'secret/a.txt');
      return data;
    };
    expect((await fetch(`${filesUrl}/`, { method: 'POST', body: form() })).status).toBe(401);
    expect((await fetch(`${filesUrl}/`, { method: 'POST', body: form(), headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    expect((await fetch(`${filesUrl}/`, { method: 'POST', body: form(), headers: { authorization: `Bearer ${openSession.token}` } })).status).toBe(200);
    expect((await fetch(`${filesUrl}/secret/a.txt`)).status).toBe(401);
    const basic = await fetch(`${filesUrl}/secret/a.txt`, { headers: { authorization: openSession.basic } });
    expect(await basic.text()).toBe('classified');
  });
});
