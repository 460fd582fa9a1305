import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../helpers/chromium.js';

// The window's colour tokens hold both themes once (light-dark()); the theme comes from the
// system, or from the toggle (data-theme) whatever the system says. In Debian's Chromium.
const css = readFileSync(join(import.meta.dirname, '../../src-renderer/styles/app.css'), 'utf8');
const rootBlock = css.slice(css.indexOf(':root {'), css.indexOf('}', css.indexOf(':root {')));
const colourTokens = [...rootBlock.matchAll(/(--[a-z0-9-]+): light-dark\(/g)].map((m) => m[1] as string);

let browser: TestBrowser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

/** Every colour token (and the ANSI cyan) as the page resolves it. */
async function resolved(system: 'light' | 'dark', toggle: 'light' | 'dark' | null): Promise<Record<string, string>> {
  const context = await browser.browser.newContext({ colorScheme: system });
  try {
    const page = await context.newPage();
    await page.setContent(`<html${toggle ? ` data-theme="${toggle}"` : ''}><head><style>${css}</style></head><body><span class="ansi-cyan-fg">x</span><div id="probe"></div></body></html>`);
    return await page.evaluate((tokens) => {
      const probe = document.getElementById('probe') as HTMLElement;
      const colours: Record<string, string> = {};
      for (const token of tokens) {
        probe.style.color = `var(${token})`;
        colours[token] = getComputedStyle(probe).color;
      }
      colours['ansi-cyan'] = getComputedStyle(document.querySelector('.ansi-cyan-fg') as Element).color;
      return colours;
    }, colourTokens);
  } finally {
    await context.close();
  }
}

describe('theme tokens', () => {
  it('dark from the system and dark from the toggle are the same colours; likewise light; the two differ in every token', async () => {
    expect(colourTokens.length).toBeGreaterThan(20);
    const lightSystem = await resolved('light', null);
    const darkSystem = await resolved('dark', null);
    expect(await resolved('light', 'dark')).toEqual(darkSystem);
    expect(await resolved('dark', 'light')).toEqual(lightSystem);
    expect(await resolved('dark', 'dark')).toEqual(darkSystem);
    expect(lightSystem['--bg']).toBe('rgb(246, 247, 249)');
    expect(darkSystem['--bg']).toBe('rgb(20, 23, 28)');
    expect(darkSystem['ansi-cyan']).toBe('rgb(103, 232, 249)');
    for (const token of [...colourTokens, 'ansi-cyan']) expect(darkSystem[token], token).not.toBe(lightSystem[token]);
  });
});
