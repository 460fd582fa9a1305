import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`; scripts/lib/ensure-tools.sh installs it for test:all). */
export const chromiumPath = process.env['TRAY_AGENT_CHROMIUM'] ?? '/usr/bin/chromium';

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Chromium with DESIGN.md's flags and a fresh profile; fails naming what to install when it is missing. */
export async function launchChromium(extraArgs: string[] = []): Promise<TestBrowser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install it with \`apt-get install -y chromium\` (or set TRAY_AGENT_CHROMIUM)`);
  }
  // playwright gives every launch a fresh temporary profile (DESIGN.md's fresh --user-data-dir).
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}
