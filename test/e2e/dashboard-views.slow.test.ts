import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { startDashboard, type Dashboard } from '../../src-main/dashboard/index.js';
import { createSetupService } from '../../src-main/control/setup/index.js';
import { loadAgentConfig } from '../../src-main/engine/config/index.js';
import type { BridgeHandler } from '../../src-shared/bridge.js';
import { ScriptedAgentHost } from '../helpers/scripted-agent-host.js';
import { buildRenderer } from '../helpers/build-renderer.js';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';

// Every view of the window in Debian's Chromium through the dashboard transport, driven by the
// scripted agent host (a TEST DOUBLE of src-main/control's host, see its file). Each test needs
// only `handler` swapped for the real host to run end to end. Screenshots land in test-results/.

const RUNNING_TASK = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const shots = fileURLToPath(new URL('../../test-results/ui/', import.meta.url));
const views = ['overview', 'tasks', 'logs', 'gpus', 'queues', 'schedule', 'connection', 'setup'] as const;

let rendererDir: string;
let browser: TestBrowser;
let server: TestServer;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  [rendererDir, browser, server] = await Promise.all([buildRenderer(), launchChromium(), startTestServer()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (rendererDir) rmSync(rendererDir, { recursive: true, force: true });
});

interface Session {
  page: Page;
  dashboard: Dashboard;
  problems: string[];
  close(): Promise<void>;
}

async function openDashboard(handler: BridgeHandler, options: { width?: number; dark?: boolean } = {}): Promise<Session> {
  const dashboard = await startDashboard({ handler, rendererDir });
  const context = await browser.browser.newContext({ viewport: { width: options.width ?? 1280, height: 820 }, colorScheme: options.dark ? 'dark' : 'light' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(dashboard.url);
  await page.getByTestId('agent-state').waitFor();
  return {
    page,
    dashboard,
    problems,
    async close() {
      await context.close();
      await dashboard.close();
    },
  };
}

async function go(page: Page, view: string): Promise<void> {
  await page.evaluate((hash) => {
    location.hash = hash;
  }, `#/${view}`);
  await page.locator('main h1').first().waitFor();
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

function scriptedHost(options: ConstructorParameters<typeof ScriptedAgentHost>[0] = {}): ScriptedAgentHost {
  const host = new ScriptedAgentHost(options);
  host.appendLog(RUNNING_TASK, 2_000);
  return host;
}

describe('every view in Chromium', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`${theme}: renders, passes axe-core with no serious or critical violation, and is screenshotted at 1280 and 900 px`, async () => {
      const session = await openDashboard(scriptedHost(), { dark: theme === 'dark' });
      try {
        for (const view of views) {
          await go(session.page, view);
          if (view === 'logs') await session.page.locator('[data-line="2000"]').waitFor();
          if (view === 'schedule') await session.page.getByRole('radio', { name: /uptime/ }).check();
          expect(await seriousViolations(session.page), `${view} (${theme})`).toEqual([]);
          await session.page.screenshot({ path: join(shots, `${view}-${theme}-1280.png`), fullPage: true });
          await session.page.setViewportSize({ width: 900, height: 820 });
          // A narrow window still fits: nothing pushes the page wider than the window.
          expect(await session.page.evaluate(() => document.documentElement.scrollWidth - innerWidth), `${view} at 900 px`).toBeLessThanOrEqual(0);
          await session.page.screenshot({ path: join(shots, `${view}-${theme}-900.png`), fullPage: true });
          await session.page.setViewportSize({ width: 1280, height: 820 });
        }
        expect(session.problems).toEqual([]);
      } finally {
        await session.close();
      }
    });
  }

  it('empty states say what to do next, and pass axe-core', async () => {
    const session = await openDashboard(new ScriptedAgentHost({ empty: true }));
    try {
      for (const view of ['overview', 'tasks', 'logs', 'gpus'] as const) {
        await go(session.page, view);
        expect(await seriousViolations(session.page), view).toEqual([]);
        await session.page.screenshot({ path: join(shots, `${view}-empty.png`), fullPage: true });
      }
      await go(session.page, 'overview');
      await expect(session.page.getByText('Pick a queue to start pulling tasks').isVisible()).resolves.toBe(true);
    } finally {
      await session.close();
    }
  });

  it('the server being unreachable shows in the header with what happens meanwhile', async () => {
    const host = scriptedHost();
    const session = await openDashboard(host);
    try {
      host.update({ connection: { ...host.snapshot.connection, state: 'unreachable', detail: 'connection refused; logs are spooled and sent when it is back' } });
      await session.page.getByTestId('connection-line').filter({ hasText: 'logs are spooled' }).waitFor();
      await session.page.screenshot({ path: join(shots, 'header-server-unreachable.png') });
    } finally {
      await session.close();
    }
  });
});

describe('keyboard', () => {
  /** Tabs through the page and returns the labels of every element that got focus. */
  async function tabStops(page: Page, max = 200): Promise<string[]> {
    // Start where a fresh page starts: the skip link is the first stop.
    await page.evaluate(() => document.querySelector<HTMLElement>('.skip-link')?.focus());
    const seen: string[] = [];
    for (let i = 0; i < max; i += 1) {
      if (i > 0) await page.keyboard.press('Tab');
      const id = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        if (!el.dataset['tabProbe']) el.dataset['tabProbe'] = String(Math.random());
        return el.dataset['tabProbe'];
      });
      if (id === null || seen.includes(id)) break;
      seen.push(id);
    }
    return seen;
  }

  it('every control of every view is reachable with Tab', async () => {
    const session = await openDashboard(scriptedHost());
    try {
      for (const view of views) {
        await go(session.page, view);
        if (view === 'schedule') await session.page.getByRole('radio', { name: /uptime/ }).check();
        if (view === 'logs') await session.page.locator('[data-line="2000"]').waitFor();
        const reached = new Set(await tabStops(session.page));
        expect(reached.size, `${view}: tab stops`).toBeGreaterThan(8);
        const unreachable = await session.page.evaluate((probes) => {
          const controls = [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, summary, [tabindex]')].filter(
            (el) => !(el as HTMLButtonElement).disabled && el.tabIndex >= 0 && el.getClientRects().length > 0,
          );
          // A radio group is one tab stop: the checked radio (or the first) stands for the group.
          const radios = new Map<string, HTMLInputElement>();
          return controls
            .filter((el) => {
              if (el instanceof HTMLInputElement && el.type === 'radio') {
                if (radios.has(el.name)) return false;
                const group = [...document.querySelectorAll<HTMLInputElement>(`input[type=radio][name="${el.name}"]`)];
                radios.set(el.name, el);
                return !group.some((r) => probes.includes(r.dataset['tabProbe'] ?? '-'));
              }
              return !probes.includes(el.dataset['tabProbe'] ?? '-');
            })
            .map((el) => `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`);
        }, [...reached]);
        expect(unreachable, view).toEqual([]);
      }
    } finally {
      await session.close();
    }
  });

  it('pause, abort, queue order, schedule and log shortcuts work from the keyboard alone', async () => {
    const host = scriptedHost();
    const session = await openDashboard(host);
    const { page } = session;
    try {
      // Pause ▸ for 1 hour
      await page.getByRole('button', { name: /Pause/ }).focus();
      await page.keyboard.press('Enter');
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: /Resume/ }).waitFor();
      expect(host.calls.find((c) => c.name === 'pause')?.args).toMatchObject({ until: expect.any(Number) });
      await page.keyboard.press('Tab');
      await page.getByRole('button', { name: /Resume/ }).focus();
      await page.keyboard.press('Space');
      await page.getByRole('button', { name: /Pause/ }).waitFor();

      // Abort asks, Enter on "Abort task"
      await go(page, 'tasks');
      await page.getByRole('button', { name: 'Abort' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('dialog').waitFor();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.getByText('No task is running').waitFor();
      expect(host.calls.filter((c) => c.name === 'stopTask')).toHaveLength(1);

      // Queue order with the arrow buttons, saved with Enter
      await go(page, 'queues');
      await page.getByRole('button', { name: 'Move default down' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Save queue choice' }).focus();
      await page.keyboard.press('Enter');
      await page.getByText(/^Pulling from/).waitFor();
      expect(host.calls.find((c) => c.name === 'setQueues')?.args).toEqual({ queues: ['gpu-long-running-experiments-with-a-very-long-queue-name', 'default'], orderFairness: false });

      // Schedule grid: arrows move, Space marks
      await go(page, 'schedule');
      await page.getByRole('radio', { name: /uptime/ }).focus();
      await page.keyboard.press('Space');
      await page.getByRole('button', { name: 'MON 09:00' }).focus();
      await page.keyboard.press('Space');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Space');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Space');
      await expect(page.getByRole('textbox', { name: /As clearml writes it/ }).inputValue()).resolves.toBe('09-11 MON; 10-11 TUE');

      // Logs: "/" focuses search, "f" toggles follow
      await go(page, `logs/${RUNNING_TASK}`);
      await page.locator('[data-line="2000"]').waitFor();
      await page.locator('main h1').click();
      await page.keyboard.press('f');
      await page.getByRole('button', { name: /^Follow f$/ }).waitFor();
      await page.keyboard.press('/');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Search the log');
      await page.keyboard.type('CUDA out of memory');
      await page.keyboard.press('Enter');
      await page.getByTestId('search-status').filter({ hasText: /of 55$/ }).waitFor();
    } finally {
      await session.close();
    }
  });
});

describe('actions in the browser', () => {
  it('dragging a queue reorders it before saving', async () => {
    const host = scriptedHost();
    const session = await openDashboard(host);
    try {
      await go(session.page, 'queues');
      await session.page.getByTestId('queue-row-cpu-only').dragTo(session.page.getByTestId('queue-row-default'));
      await session.page.getByRole('checkbox', { name: 'cpu-only' }).check();
      await session.page.getByRole('button', { name: 'Save queue choice' }).click();
      await session.page.getByText(/^Pulling from/).waitFor();
      expect(host.calls.find((c) => c.name === 'setQueues')?.args).toMatchObject({ queues: ['cpu-only', 'default', 'gpu-long-running-experiments-with-a-very-long-queue-name'] });
    } finally {
      await session.close();
    }
  });

  it('the live log follows new lines and the GPU sparklines draw', async () => {
    const host = scriptedHost();
    const session = await openDashboard(host);
    try {
      await session.page.goto(`${session.dashboard.url}#/logs/${RUNNING_TASK}`);
      await session.page.locator('[data-line="2000"]').waitFor();
      host.appendLog(RUNNING_TASK, 500);
      await session.page.locator('[data-line="2500"]').waitFor();
      expect(await session.page.locator('.log-row').count()).toBeLessThan(200);
      await go(session.page, 'gpus');
      expect(await session.page.locator('.sparkline canvas').count()).toBe(4);
    } finally {
      await session.close();
    }
  });

  it('the setup wizard pastes, verifies against the embedded server and writes clearml.conf 0600', async () => {
    const home = mkdtempSync(join(tmpdir(), 'wizard-home-'));
    const configPath = join(home, 'clearml.conf');
    const host = new ScriptedAgentHost({ needsSetup: true, setup: createSetupService({ configPath }) });
    const session = await openDashboard(host);
    const { page } = session;
    try {
      await page.getByRole('button', { name: 'Next' }).click();
      const block = `api {\n  web_server: ${server.url}\n  api_server: ${server.url}\n  files_server: ${server.url}\n  credentials {\n    "access_key" = "${server.credentials.accessKey}"\n    "secret_key" = "${server.credentials.secretKey}"\n  }\n}\n`;
      await page.getByRole('textbox', { name: 'Paste the credentials block' }).fill(block);
      await page.locator('dd', { hasText: server.credentials.accessKey }).waitFor();
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByTestId('verify-result').filter({ hasText: 'Credentials verified' }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, 'setup-verified.png'), fullPage: true });
      const shown = await page.evaluate(() => {
        const clone = document.body.cloneNode(true) as HTMLElement;
        clone.querySelectorAll('textarea').forEach((t) => t.remove());
        return clone.innerText;
      });
      expect(shown).not.toContain(server.credentials.secretKey);
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByRole('textbox', { name: 'Git user name' }).fill('lab-user');
      await page.getByLabel('Git password or access token').fill('git-token-xyz');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByTestId('setup-result').filter({ hasText: `Created ${configPath}` }).waitFor();
      await page.screenshot({ path: join(shots, 'setup-saved.png'), fullPage: true });
      expect(statSync(configPath).mode & 0o777).toBe(0o600);
      const { config } = await loadAgentConfig({ configFile: configPath, env: {}, homeDir: home });
      expect(config.api.credentials).toMatchObject(server.credentials);
      expect(config.agent.gitUser).toBe('lab-user');
    } catch (error) {
      await page.screenshot({ path: join(shots, 'setup-failure.png'), fullPage: true });
      throw error;
    } finally {
      await session.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a page opened without the token is refused and tells the user what to open', async () => {
    const session = await openDashboard(scriptedHost());
    try {
      const other = await browser.browser.newPage();
      const response = await other.goto(`http://127.0.0.1:${session.dashboard.port}/`);
      expect(response?.status()).toBe(401);
      expect(await other.textContent('body')).toContain('open the dashboard address tray-agent printed');
      await other.close();
    } finally {
      await session.close();
    }
  });
});
