import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { createTask, login, useServerSession, type Session } from './api-call.js';

let server: TestServer;
let session: Session;

useServerSession((bed) => ({ server, session } = bed));

describe('the results link the SDK prints', () => {
  it('opens a plain page with the task status, scalars and log', async () => {
    const project = (await session.ok<{ id: string }>('projects.create', { name: 'page project' })).id;
    const task = await createTask(session, { project, name: 'page <b>task</b>' });
    await session.ok('tasks.started', { task, force: true });
    await session.ok('events.add', { type: 'log', task, msg: 'epoch 1 <script>alert(1)</script>\n', level: 'info' });
    await session.ok('events.add', { type: 'log', task, msg: 'epoch 2 done\n', level: 'info' });
    await session.ok('events.add', { type: 'training_stats_scalar', task, metric: 'loss', variant: 'train', value: 0.25, iter: 2 });
    const response = await fetch(`${server.server.webUrl}/projects/${project}/experiments/${task}/output/log`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('page &lt;b&gt;task&lt;/b&gt;');
    expect(html).toContain('<dt>status</dt><dd>in_progress</dd>');
    expect(html).toContain('<dt>project</dt><dd>page project</dd>');
    expect(html).toContain('epoch 1 &lt;script&gt;alert(1)&lt;/script&gt;\nepoch 2 done');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<td>loss</td><td>train</td><td>0.25</td>');
    expect(html).toContain('http-equiv="refresh"');
    // the link without a project (the SDK writes "*") and without a tab opens the same page
    const bare = await fetch(`${server.server.webUrl}/projects/*/experiments/${task}`);
    expect(bare.status).toBe(200);
    await bare.text();
  });

  it('an unknown task is a 404 page; API calls on the same port are unaffected', async () => {
    const missing = await fetch(`${server.server.webUrl}/projects/x/experiments/${'f'.repeat(32)}/output/log`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Task not found');
    expect((await session.call('queues.get_default')).status).toBe(200);
  });
});

describe('task pages beyond loopback', () => {
  let open: TestServer;

  beforeAll(async () => {
    open = await startTestServer({ host: '0.0.0.0' });
  });
  afterAll(() => open.close());

  it('ask the browser for the API credentials (Basic auth)', async () => {
    const base = open.server.webUrl.replace('0.0.0.0', '127.0.0.1');
    const openSession = await login({ url: base, credentials: open.credentials });
    const task = await createTask(openSession);
    const denied = await fetch(`${base}/projects/*/experiments/${task}/output/log`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic realm="tray-agent"/);
    await denied.text();
    const allowed = await fetch(`${base}/projects/*/experiments/${task}/output/log`, { headers: { authorization: openSession.basic } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('<dt>status</dt><dd>created</dd>');
  });
});
