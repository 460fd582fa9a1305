// `up` and `daemon --dashboard`: the window in a browser, served on 127.0.0.1 behind a token,
// over the same agent host the tray uses (also what a headless box reached by SSH tunnel wants).
import type { Dashboard } from '../dashboard/index.js';
import type { AgentHost } from '../control/index.js';
import { UsageError } from './command-errors.js';

export function parseDashboardPort(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--dashboard-port "${value}": expected a port number from 0 to 65535`);
  return port;
}

/** Starts the dashboard; a renderer that was not built is a warning, not a failure of the agent. */
export async function startHostDashboard(host: AgentHost, port: number, say: (text: string) => void): Promise<Dashboard | null> {
  try {
    // Loaded only when asked for: a headless daemon without --dashboard never loads ws.
    const { startDashboard, defaultRendererDir } = await import('../dashboard/index.js');
    const dashboard = await startDashboard({ handler: host, port, rendererDir: defaultRendererDir() });
    say(`Dashboard: ${dashboard.url} (this machine only; the token in the address is the key)\n`);
    return dashboard;
  } catch (error) {
    say(`The dashboard did not start: ${error instanceof Error ? error.message : String(error)} (run \`npm run build\` first); the agent runs without it\n`);
    return null;
  }
}
