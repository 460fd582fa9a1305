// The window's log view under load, in Debian's Chromium through the dashboard transport: a task
// log of 100,000 lines with 5,000 lines/s appended live (the scripted agent host, a TEST DOUBLE of
// src-main/control, feeds it). Measures how long a search and a jump to a line take until the
// answer is on screen (input event → result in the DOM → next frame), the page's JS heap, and the
// production renderer bundle (gzip). Targets: ≤ 100 ms, ≤ 150 MB, ≤ 250 kB.
// Prints human lines, then one JSON line with the figures.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { startDashboard } from '../src-main/dashboard/index.js';
import { ScriptedAgentHost } from '../test/helpers/scripted-agent-host.js';
import { buildRenderer } from '../test/helpers/build-renderer.js';
import { launchChromium } from '../test/helpers/chromium.js';

const INITIAL_LINES = Number(process.env.RENDERER_BENCH_LINES ?? 100_000);
const APPEND_PER_SEC = 5_000;
const TICK_MS = 100;
const ROUNDS = Number(process.env.RENDERER_BENCH_ROUNDS ?? 20);
const TASK = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

function bundleSize(dir: string): { rawKiB: number; gzipKiB: number; files: Record<string, number> } {
  let raw = 0;
  let gz = 0;
  const files: Record<string, number> = {};
  for (const entry of readdirSync(dir, { recursive: true }).map(String)) {
    const path = join(dir, entry);
    if (!statSync(path).isFile()) continue;
    const bytes = readFileSync(path);
    const zipped = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gz += zipped;
    files[entry] = Math.round((zipped / 1024) * 10) / 10;
  }
  return { rawKiB: Math.round(raw / 102.4) / 10, gzipKiB: Math.round(gz / 102.4) / 10, files };
}

// Runs in the page. Kept as source text: tsx would wrap named functions in a helper the page lacks.
const typeAndWaitSource = `async ({ selector, value, submit, done }) => {
  const input = document.querySelector(selector);
  const check = new Function('return (' + done + ')');
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const start = performance.now();
  setValue.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
  if (submit) input.form.requestSubmit();
  await new Promise((resolve, reject) => {
    const limit = start + 10000;
    const poll = () => {
      if (check()) return requestAnimationFrame(() => resolve());
      if (performance.now() > limit) return reject(new Error('not shown within 10 s: ' + done));
      requestAnimationFrame(poll);
    };
    poll();
  });
  return performance.now() - start;
}`;

/** Types `value` into the input as a user would (React sees an input event), then waits until `done` holds and one more frame has been drawn. */
async function timeUntilShown(page: Page, selector: string, value: string, submit: boolean, done: string): Promise<number> {
  return page.evaluate(`(${typeAndWaitSource})(${JSON.stringify({ selector, value, submit, done })})`) as Promise<number>;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
};

async function main(): Promise<void> {
  const rendererDir = await buildRenderer();
  const bundle = bundleSize(rendererDir);
  console.log(`renderer bundle: ${bundle.rawKiB} KiB, ${bundle.gzipKiB} KiB gzip (${Object.entries(bundle.files).map(([f, k]) => `${f} ${k}`).join(', ')})`);

  const host = new ScriptedAgentHost();
  host.appendLog(TASK, INITIAL_LINES);
  const dashboard = await startDashboard({ handler: host, rendererDir });
  const browser = await launchChromium(['--enable-precise-memory-info']);
  try {
    const page = await browser.browser.newPage({ viewport: { width: 1280, height: 820 } });
    const cdp = await page.context().newCDPSession(page);
    const loadStart = Date.now();
    await page.goto(`${dashboard.url}#/logs/${TASK}`);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="log-scroller"]')?.getAttribute('data-lines')) >= n, INITIAL_LINES, { timeout: 60_000 });
    const loadMs = Date.now() - loadStart;
    console.log(`opened a ${INITIAL_LINES.toLocaleString('en')}-line log in ${loadMs} ms`);

    const appender = setInterval(() => host.appendLog(TASK, (APPEND_PER_SEC * TICK_MS) / 1000), TICK_MS);
    const appendStart = Date.now();
    const heapSamples: number[] = [];
    const sampler = setInterval(() => {
      void cdp.send('Runtime.getHeapUsage').then((h) => heapSamples.push(h.usedSize), () => undefined);
    }, 500);
    const search: number[] = [];
    const jump: number[] = [];
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      for (let round = 0; round < ROUNDS; round += 1) {
        // A rare line (one match, far up) and a frequent one (thousands of matches), alternately.
        const line = 1 + Math.floor(((round * 7919) % INITIAL_LINES));
        const query = round % 2 === 0 ? `[line ${line}]` : round % 4 === 1 ? 'CUDA out of memory' : 'data loader worker';
        search.push(
          await timeUntilShown(page, 'input[aria-label="Search the log"]', query, false, `(() => { const s = document.querySelector('[data-testid="search-status"]')?.textContent ?? ''; return / of [\\d,]+$/.test(s) && document.querySelector('.log-row.target mark') !== null; })()`),
        );
        const target = 1 + Math.floor(((round * 104_729) % INITIAL_LINES));
        jump.push(await timeUntilShown(page, 'input[aria-label="Go to line"]', String(target), true, `document.querySelector('.log-row.target[data-line="${target}"]') !== null`));
      }
      // Keep appending a while, so the heap figure includes a long-running live log.
      await new Promise((r) => setTimeout(r, 8_000));
    } finally {
      clearInterval(appender);
      clearInterval(sampler);
    }
    const appendedSec = (Date.now() - appendStart) / 1000;
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="log-scroller"]')?.getAttribute('data-lines')) >= n, host.logs.get(TASK)!.length, { timeout: 30_000 });
    const linesAtEnd = host.logs.get(TASK)!.length;
    await cdp.send('HeapProfiler.collectGarbage');
    const afterGc = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const domRows = await page.locator('.log-row').count();
    const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    const results = {
      initialLines: INITIAL_LINES,
      appendedLinesPerSec: Math.round((linesAtEnd - INITIAL_LINES) / appendedSec),
      linesAtEnd,
      openMs: loadMs,
      searchMs: { p50: percentile(search, 50), p90: percentile(search, 90), max: percentile(search, 100), runs: search.length },
      jumpMs: { p50: percentile(jump, 50), p90: percentile(jump, 90), max: percentile(jump, 100), runs: jump.length },
      // The build machines are shared: the load average says how busy the cores were meanwhile.
      loadAverage1m: Math.round(loadavg()[0]! * 10) / 10,
      cores: cpus().length,
      heapUsedMiB: { peak: mib(Math.max(...heapSamples)), afterGc: mib(afterGc) },
      domLogRows: domRows,
      bundle: { rawKiB: bundle.rawKiB, gzipKiB: bundle.gzipKiB },
      targets: { renderMs: 100, heapMiB: 150, bundleGzipKiB: 250 },
    };
    console.log(
      `search: p50 ${results.searchMs.p50} ms, p90 ${results.searchMs.p90} ms, max ${results.searchMs.max} ms; jump: p50 ${results.jumpMs.p50} ms, p90 ${results.jumpMs.p90} ms, max ${results.jumpMs.max} ms ` +
        `(${ROUNDS} each, while ${results.appendedLinesPerSec.toLocaleString('en')} lines/s arrive; ${linesAtEnd.toLocaleString('en')} lines at the end, ${domRows} rows in the DOM)`,
    );
    console.log(`load average ${results.loadAverage1m} on ${results.cores} cores`);
    console.log(`JS heap: peak ${results.heapUsedMiB.peak} MiB, ${results.heapUsedMiB.afterGc} MiB after GC`);
    console.log(JSON.stringify(results));
  } finally {
    await browser.close();
    await dashboard.close();
    rmSync(rendererDir, { recursive: true, force: true });
  }
}

await main();
