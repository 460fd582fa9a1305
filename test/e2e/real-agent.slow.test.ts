import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { AgentHost, type PreferencesStore } from '../../src-main/control/index.js';
import { createSetupService, setupForAgentHost } from '../../src-main/control/setup/index.js';
import { startDashboard, type Dashboard } from '../../src-main/dashboard/index.js';
import { createApiClient, type ApiClient } from '../../src-main/engine/api/index.js';
import { loadAgentConfig } from '../../src-main/engine/config/index.js';
import type { DaemonPreferences } from '../../src-main/engine/daemon/daemon-settings.js';
import { WEEK_DAYS } from '../../src-shared/weekly-schedule.js';
import { buildRenderer } from '../helpers/build-renderer.js';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { FAKE_NVIDIA_SMI_PAIR_DIR } from '../helpers/fake-nvidia-smi/index.js';
import { runCliCaptured } from '../helpers/run-cli-captured.js';
import { until } from '../helpers/until.js';

// The window end to end against the real agent, as a user drives it in Debian's Chromium: the
// real AgentHost (in-memory preferences, the real setup service), the embedded server it starts
// for "this workstation only", the daemon it runs, and startDashboard over that host. Each step
// is done with clicks and keys and checked on the server through the API client. The only test
// double is nvidia-smi (no GPU here): two H200s replayed from the recorded fixtures.
// One browser, one host, one page for the file: the steps build on each other, in order.

const shots = fileURLToPath(new URL('../../test-results/ui/real-agent/', import.meta.url));

let rendererDir: string;
let browser: TestBrowser;
let home: string;
let configPath: string;
let originalConfig: string;
let host: AgentHost;
let dashboard: Dashboard;
let page: Page;
let client: ApiClient;
const problems: string[] = [];
const hostLog: string[] = [];
const preferences = memoryPreferences();

function memoryPreferences(): PreferencesStore & { value: DaemonPreferences & { autostart?: boolean } } {
  const store = {
    value: {} as DaemonPreferences & { autostart?: boolean },
    get: () => store.value,
    set: (patch: Partial<DaemonPreferences & { autostart: boolean }>) => {
      store.value = { ...store.value, ...patch };
    },
  };
  return store;
}

/** What a wait was for, with the end of the host's log (read when the wait fails). */
const withHostLog = (what: string) => () => `${what}; host log:\n${hostLog.slice(-30).join('\n')}`;

/** Through the left navigation, as a user clicks it. */
async function go(label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: label }).click();
  await page.locator('main h1', { hasText: label }).waitFor();
}

/** axe-core on what is on screen now (no serious or critical violation), then a screenshot. */
async function checkView(name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  expect(serious, name).toEqual([]);
}

const statusOf = async (id: string) => String((await client.tasks.getById(id)).status);

/** `tray-agent task create --script FILE --queue Q`, as a user runs it in a terminal. */
async function createTask(name: string, queue: string, script: string): Promise<string> {
  const file = join(home, `${name}.py`);
  writeFileSync(file, script);
  const result = await runCliCaptured('--config-file', configPath, 'task', 'create', '--name', name, '--script', file, '--queue', queue);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toMatch(new RegExp(`^task [0-9a-f]{32} queued in ${queue}\n$`));
  const id = result.stdout.trim().split('\n')[0]!;
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  return id;
}

/** The daemon's worker id now: it changes with the GPU pick (`host:gpu1`, as clearml-agent names it). */
const workerId = () => host.daemons[0]!.workerId;

async function forceOnServer(): Promise<string | undefined> {
  const properties = await client.workers.getRuntimeProperties({ worker: workerId() });
  return properties.find((p) => p.key === 'force')?.value;
}

const longTask = [
  'import os, sys, time',
  'print(f"CUDA_VISIBLE_DEVICES={os.environ.get(\'CUDA_VISIBLE_DEVICES\')}", flush=True)',
  'for i in range(1000):',
  '    print(f"tick {i}", flush=True)',
  '    if i % 10 == 5: print(f"warning: tick {i} is slow", file=sys.stderr, flush=True)',
  '    time.sleep(0.25)',
  '',
].join('\n');
const shortTask = 'print("short task done", flush=True)\n';

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'tray-agent-e2e-real-'));
  configPath = join(home, 'clearml.conf');
  // A clearml.conf the user already has, with agent settings and no server yet: the wizard must
  // add the api section below it and change nothing above. Every agent folder is inside `home`;
  // the agent's own python is used as is (no venv build: that has its own tests).
  originalConfig = [
    '# my agent settings',
    'agent {',
    `  state_dir: "${join(home, 'state')}"`,
    `  spool_dir: "${join(home, 'spool')}"`,
    `  venvs_dir: "${join(home, 'venvs')}"`,
    `  vcs_cache.path: "${join(home, 'vcs')}"`,
    `  venvs_cache.path: "${join(home, 'venvs-cache')}"`,
    '  skip_python_env_install: true',
    '  abort_poll_interval_sec: 0.2',
    '  abort_grace_sec: 1',
    '  task_ping_interval_sec: 0',
    '}',
    '',
  ].join('\n');
  writeFileSync(configPath, originalConfig, { mode: 0o644 });

  const name = `e2ereal${process.pid}`;
  host = new AgentHost({
    version: 'e2e',
    configFile: configPath,
    env: { PATH: `${FAKE_NVIDIA_SMI_PAIR_DIR}${delimiter}${process.env['PATH'] ?? ''}`, HOME: home, CLEARML_WORKER_NAME: name },
    homeDir: home,
    hostname: name,
    preferences,
    refreshIntervalMs: 500,
    log: (level, text, source) => hostLog.push(`${level} [${source}] ${text}`),
    setup: setupForAgentHost(
      createSetupService({
        configPath,
        // "This workstation only": the host starts the embedded server in this process.
        embeddedServer: async () => host.embeddedServer ?? (await host.startEmbeddedServer({ host: '127.0.0.1', port: 0 })),
      }),
    ),
  });
  [rendererDir, browser] = await Promise.all([buildRenderer(), launchChromium()]);
  dashboard = await startDashboard({ handler: host, rendererDir });
  const context = await browser.browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(dashboard.url);
  await page.getByTestId('agent-state').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await host?.shutdown();
  if (rendererDir) rmSync(rendererDir, { recursive: true, force: true });
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the window against the real agent host, embedded server and daemon', () => {
  it('the setup wizard: "this workstation only" verifies by logging in and adds the api section to clearml.conf (0600)', async () => {
    // No credentials yet: the page is the wizard.
    await page.locator('main h1', { hasText: 'Set up Tray Agent' }).waitFor();
    await page.getByText('it exists: only what it lacks is added').waitFor();
    await checkView('01-setup-choose');
    await page.getByRole('radio', { name: /This workstation only/ }).check();
    await page.getByRole('button', { name: 'Next' }).click();
    // Keyboard: Verify starts the embedded server in the host and logs in with its key pair.
    await page.getByRole('button', { name: 'Verify' }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('verify-result').filter({ hasText: 'Credentials verified' }).waitFor();
    await checkView('02-setup-verified');
    const server = host.embeddedServer!;
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('textbox', { name: 'Git user name' }).fill('lab-user');
    await page.getByLabel('Git password or access token').fill('git-token-e2e');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('setup-result').filter({ hasText: `Added to ${configPath}` }).waitFor();
    await checkView('03-setup-saved');

    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    const written = readFileSync(configPath, 'utf8');
    expect(written.startsWith(originalConfig)).toBe(true);
    const { config } = await loadAgentConfig({ configFile: configPath, env: {}, homeDir: home });
    expect(config.api.apiServer).toBe(server.url);
    expect(config.api.credentials).toMatchObject(server.credentials);
    expect(config.agent.gitUser).toBe('lab-user');
    // The file's key pair logs in to the running server.
    client = createApiClient({ apiServer: config.api.apiServer!, credentials: { accessKey: config.api.credentials.accessKey!, secretKey: config.api.credentials.secretKey! } });
    await client.login();
    const shown = await page.evaluate(() => document.body.innerText);
    expect(shown).not.toContain(server.credentials.secretKey);
    expect(shown).not.toContain('git-token-e2e');

    // What the tray does once the wizard has saved: start the daemon (queues from preferences, else the default queue).
    await host.startDaemon({ queues: [], pollingIntervalSec: 0.3 });
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('main h1', { hasText: 'Overview' }).waitFor();
    await page.getByTestId('connection-line').filter({ hasText: `Embedded server ${server.url}` }).waitFor();
    await until(async () => (await client.workers.getAll({})).some((w) => w.id === workerId()), 30_000, withHostLog('the worker on the server'));
  });

  it('the wizard again, with the block pasted for the running server: verified, and the file keeps what it has', async () => {
    await go('Connection');
    await page.getByText(`${host.embeddedServer!.url}`).first().waitFor();
    await checkView('04-connection');
    await page.getByRole('button', { name: 'Switch server…' }).click();
    await page.locator('main h1', { hasText: 'Set up Tray Agent' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    const { url, credentials } = host.embeddedServer!;
    const block = `api {\n  web_server: ${url}\n  api_server: ${url}\n  files_server: ${url}\n  credentials {\n    "access_key" = "${credentials.accessKey}"\n    "secret_key" = "${credentials.secretKey}"\n  }\n}\n`;
    await page.getByRole('textbox', { name: 'Paste the credentials block' }).fill(block);
    await page.locator('dl[aria-label="Detected credentials"]', { hasText: credentials.accessKey }).waitFor();
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('verify-result').filter({ hasText: 'Credentials verified' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    const before = readFileSync(configPath, 'utf8');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('setup-result').filter({ hasText: 'already had everything' }).waitFor();
    await checkView('05-setup-paste-kept');
    expect(readFileSync(configPath, 'utf8')).toBe(before);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('main h1', { hasText: 'Overview' }).waitFor();
  });

  it('queues are picked and ordered in the window; the worker on the server listens to them in that order', async () => {
    const urgent = await client.queues.create({ name: 'e2e-urgent' });
    const bulk = await client.queues.create({ name: 'e2e-bulk' });
    await go('Queues');
    await page.getByTestId('queue-row-e2e-urgent').waitFor();
    await page.getByRole('checkbox', { name: 'default' }).uncheck();
    await page.getByRole('checkbox', { name: 'e2e-bulk' }).check();
    // Keyboard: Space checks, Enter on the arrow moves urgent above bulk.
    await page.getByRole('checkbox', { name: 'e2e-urgent' }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Move e2e-urgent up' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Move e2e-urgent up' }).focus();
    await page.keyboard.press('Enter');
    await checkView('06-queues-draft');
    await page.getByRole('button', { name: 'Save queue choice' }).click();
    await page.getByText('Pulling from e2e-urgent, e2e-bulk').waitFor();
    expect(preferences.value.queues).toEqual(['e2e-urgent', 'e2e-bulk']);
    // The daemon restarts with the new queues; the server has the worker listening to them, in order.
    const worker = await until(async () => {
      const found = (await client.workers.getAll({})).find((w) => w.id === host.daemons[0]?.workerId);
      const queues = ((found as { queues?: Array<{ id?: string } | string> } | undefined)?.queues ?? []).map((q) => (typeof q === 'string' ? q : q.id));
      return queues.length === 2 ? queues : null;
    }, 30_000, withHostLog('the worker re-registered with the picked queues'));
    expect(worker).toEqual([urgent.id, bulk.id]);
    await page.getByTestId('queue-row-e2e-urgent').filter({ has: page.getByRole('checkbox', { checked: true }) }).waitFor();
    await checkView('07-queues-saved');
  });

  it('GPUs: the two H200s show with their holders; picking GPU 1 alone is what the next task gets', async () => {
    await go('GPUs');
    await page.getByText('GPU 1 · NVIDIA H200').waitFor();
    await page.getByText('In use by a process that is not ours:').waitFor();
    await until(async () => (await page.locator('.sparkline canvas').count()) === 4, 30_000, withHostLog('sparklines'));
    await checkView('08-gpus-all');
    // No --gpus yet: tasks see every GPU, and the window shows both as in use.
    expect(await page.getByRole('checkbox', { name: /^GPU \d · NVIDIA H200$/, checked: true }).count()).toBe(2);
    await page.getByRole('checkbox', { name: 'GPU 0 · NVIDIA H200' }).uncheck();
    await page.getByRole('checkbox', { name: 'GPU 1 · NVIDIA H200' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'GPU 1 · NVIDIA H200' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Use these GPUs' }).click();
    await page.getByText('GPU choice saved').waitFor();
    expect(preferences.value.gpus).toBe('1');
    // The worker is now named for its GPU, as clearml-agent names it, and registered so on the server.
    await until(() => host.daemons[0]?.workerId.endsWith(':gpu1'), 30_000, withHostLog('the daemon restarted on GPU 1'));
    await until(async () => (await client.workers.getAll({})).map((w) => w.id).join() === workerId(), 30_000, withHostLog('the GPU 1 worker on the server, and no other'));
    await page.getByRole('checkbox', { name: 'GPU 0 · NVIDIA H200', checked: false }).waitFor();
    await checkView('09-gpus-picked');
  });

  let urgentTask: string;
  let bulkTask: string;

  it('Pause sets force=off on the server and nothing is pulled; Resume pulls, the first queue first', async () => {
    await go('Overview');
    await page.getByRole('button', { name: /Pause/ }).click();
    await page.getByRole('button', { name: 'For 1 hour' }).click();
    await page.getByRole('button', { name: /Resume/ }).waitFor();
    expect(await forceOnServer()).toBe('off');
    const properties = await client.workers.getRuntimeProperties({ worker: workerId() });
    const expiry = properties.find((p) => p.key === 'force')?.expiry;
    expect(typeof expiry === 'number' && expiry > 3_500 && expiry <= 3_600).toBe(true);
    await page.getByTestId('agent-state').filter({ hasText: /^Paused/ }).waitFor();
    await checkView('10-overview-paused');

    // Enqueued while paused: bulk first, then urgent. Neither is pulled.
    bulkTask = await createTask('e2e-bulk-task', 'e2e-bulk', shortTask);
    urgentTask = await createTask('e2e-urgent-task', 'e2e-urgent', longTask);
    const started = Date.now();
    // The depth the server reports shows in the window.
    await go('Queues');
    await page.getByTestId('queue-row-e2e-bulk').filter({ hasText: '1 waiting' }).waitFor();
    await page.getByTestId('queue-row-e2e-urgent').filter({ hasText: '1 waiting' }).waitFor();
    await new Promise((r) => setTimeout(r, Math.max(0, 2_500 - (Date.now() - started))));
    expect(await statusOf(bulkTask)).toBe('queued');
    expect(await statusOf(urgentTask)).toBe('queued');

    // Keyboard: Resume.
    await page.getByRole('button', { name: /Resume/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /Pause/ }).waitFor();
    expect(await forceOnServer()).toBeUndefined();
    await until(async () => (await statusOf(urgentTask)) === 'in_progress', 30_000, withHostLog('the urgent task pulled'));
    // One task at a time, the first queue first: bulk waits although it was enqueued earlier.
    expect(await statusOf(bulkTask)).toBe('queued');
  });

  it('the running task shows its phase timeline on its GPU, and its live log', async () => {
    await go('Tasks');
    const phases = page.getByRole('list', { name: 'Phases of e2e-urgent-task' });
    await phases.locator('.timeline-item.phase-running .phase-name', { hasText: /^run$/ }).waitFor();
    expect(await phases.locator('.phase-name').allTextContents()).toEqual(['start', 'workspace', 'environment', 'launch', 'run']);
    expect(await phases.locator('.timeline-item.phase-done').count()).toBe(4);
    for (const time of await phases.locator('.timeline-item.phase-done .phase-time').allTextContents()) expect(time).toMatch(/\d/);
    await page.locator('.task-meta', { hasText: 'queue e2e-urgent' }).filter({ hasText: 'GPU 1' }).waitFor();
    await checkView('11-tasks-running');

    await go('Overview');
    await page.getByTestId('agent-state').filter({ hasText: 'Running e2e-urgent-task — run' }).waitFor();
    await checkView('12-overview-running');
    await go('GPUs');
    await page.locator('.holder.ours', { hasText: 'e2e-urgent-task' }).waitFor();
    await checkView('13-gpus-running');

    await go('Tasks');
    await page.getByRole('button', { name: 'Log', exact: true }).click();
    await page.locator('.log-row', { hasText: 'CUDA_VISIBLE_DEVICES=1' }).waitFor();
    const seen = await page.locator('.log-row', { hasText: /^.*tick \d+$/ }).last().getAttribute('data-line');
    // Live: later lines arrive while the page is open.
    await page.locator(`.log-row[data-line="${Number(seen) + 8}"]`).waitFor({ timeout: 20_000 });
    await page.locator('.log-row.stream-stderr', { hasText: 'is slow' }).first().waitFor();
    await checkView('14-logs-live');
    // The same lines reached the server (the task's log there).
    const events = await client.call('events.get_task_log', { task: urgentTask, order: 'asc', batch_size: 500 });
    expect(JSON.stringify(events)).toContain('CUDA_VISIBLE_DEVICES=1');
  });

  it('Abort from the window stops the task on the server; the next queued task is pulled', async () => {
    await go('Tasks');
    await page.getByRole('button', { name: 'Abort' }).click();
    const dialog = page.getByRole('dialog', { name: 'Abort “e2e-urgent-task”?' });
    await dialog.waitFor();
    await checkView('15-tasks-abort-dialog');
    // Keyboard: focus starts on Cancel; Tab to "Abort task", Enter.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await until(async () => (await statusOf(urgentTask)) === 'stopped', 30_000, withHostLog('the task stopped on the server'));
    expect((await client.tasks.getById(urgentTask)).status_reason).toBe('aborted from Tray Agent');
    await until(async () => (await statusOf(bulkTask)) === 'completed', 30_000, withHostLog('the bulk task to run'));
    await page.locator('tr', { hasText: 'e2e-urgent-task' }).filter({ hasText: 'aborted' }).filter({ hasText: 'aborted from Tray Agent' }).waitFor();
    await page.locator('tr', { hasText: 'e2e-bulk-task' }).filter({ hasText: 'completed' }).waitFor();
    await page.getByText('No task is running').waitFor();
    await checkView('16-tasks-recent');
    // The finished task's log stays readable from its row.
    await page.getByRole('button', { name: 'Log of e2e-urgent-task' }).click();
    await page.locator('main h1', { hasText: 'Logs' }).waitFor();
    await page.locator('.log-row').first().waitFor();
    // Named with the word the Tasks view uses (ClearML's "aborted" for stopped).
    await expect(page.getByRole('combobox', { name: 'Task' }).locator('option:checked').textContent()).resolves.toBe('e2e-urgent-task (aborted)');
    // Keyboard: "/" searches it, Enter jumps to the match.
    await page.locator('main h1').click();
    await page.keyboard.press('/');
    await page.keyboard.type('CUDA_VISIBLE_DEVICES');
    await page.keyboard.press('Enter');
    await page.getByTestId('search-status').filter({ hasText: /1 of 1$/ }).waitFor();
    await page.locator('.log-row', { hasText: 'CUDA_VISIBLE_DEVICES=1' }).waitFor();
    await checkView('17-logs-finished');
  });

  it('the schedule editor writes an uptime the daemon obeys: outside it the task waits, inside it runs', async () => {
    await go('Schedule');
    await page.getByRole('heading', { name: 'Pulling tasks now' }).waitFor();
    // The browser's clock is the agent's (same machine): mark an hour six hours from now.
    const now = await page.evaluate(() => ({ day: new Date().getDay(), hour: new Date().getHours() }));
    const away = (now.hour + 6) % 24;
    const awayDay = now.hour + 6 >= 24 ? (now.day + 1) % 7 : now.day;
    await page.getByRole('radio', { name: /uptime/ }).check();
    await page.getByRole('button', { name: `${WEEK_DAYS[awayDay]} ${String(away).padStart(2, '0')}:00` }).click();
    const text = page.getByRole('textbox', { name: /As clearml writes it/ });
    const awayEntry = `${String(away).padStart(2, '0')}-${away === 23 ? '00' : String(away + 1).padStart(2, '0')} ${WEEK_DAYS[awayDay]}`;
    await expect(text.inputValue()).resolves.toBe(awayEntry);
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByRole('heading', { name: 'Not pulling tasks now' }).waitFor();
    expect(preferences.value.uptime).toEqual([awayEntry]);
    await checkView('18-schedule-outside');

    const waiting = await createTask('e2e-scheduled-task', 'e2e-bulk', shortTask);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await statusOf(waiting)).toBe('queued');
    await page.getByTestId('agent-state').filter({ hasText: /^Paused/ }).waitFor();

    // Keyboard: the grid's arrow keys and Space add this hour and the next (so the hour turning over mid-test does not matter).
    await page.getByRole('button', { name: `${WEEK_DAYS[awayDay]} ${String(away).padStart(2, '0')}:00` }).focus();
    const cells = [now, { day: now.hour === 23 ? (now.day + 1) % 7 : now.day, hour: (now.hour + 1) % 24 }];
    for (const cell of cells) {
      await page.getByRole('button', { name: `${WEEK_DAYS[cell.day]} ${String(cell.hour).padStart(2, '0')}:00` }).focus();
      await page.keyboard.press('Space');
    }
    await page.getByRole('button', { name: 'Save schedule' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Pulling tasks now' }).waitFor();
    expect(preferences.value.uptime?.length).toBeGreaterThan(0);
    await until(async () => (await statusOf(waiting)) === 'completed', 20_000, withHostLog('the task to run inside the uptime'));
    await checkView('19-schedule-inside');
  });

  it('every view in this real state passes axe-core; the page logged no error', async () => {
    for (const view of ['Overview', 'Tasks', 'Logs', 'GPUs', 'Queues', 'Schedule', 'Connection']) {
      await go(view);
      await checkView(`20-final-${view.toLowerCase()}`);
    }
    expect(problems).toEqual([]);
    // Every error the host logged (and showed under "Recent problems") but the known defect pinned below.
    expect(hostLog.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  // A repoll — what Pause, Resume and a schedule change ask of the daemon — ends its long-poll;
  // that is a normal end of the wait, never a "Daemon pass failed" under Recent problems.
  it('pause, resume and schedule changes are not reported as failed daemon passes', () => {
    expect(hostLog.filter((l) => /Daemon pass failed/.test(l))).toEqual([]);
  });
});
