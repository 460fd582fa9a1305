import clsx from 'clsx';
import { Moon, Sun, SunMoon } from 'lucide-react';
import type { AgentSnapshot } from '../../src-shared/bridge.js';
import type { TransportStatus } from '../bridge/dashboard-client.js';
import { useUiStore, type ThemeChoice } from '../stores/ui-store.js';
import { PauseControl } from './PauseControl.js';

const nextTheme: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };

/** Connection to the server (or to the agent itself) in words, with what happens meanwhile. */
export function connectionLine(snapshot: AgentSnapshot | null, transport: TransportStatus): { tone: 'ok' | 'warn' | 'bad'; text: string } {
  if (transport.state === 'retrying') return { tone: 'bad', text: `Agent not reachable: ${transport.reason} — retrying` };
  if (transport.state === 'refused') return { tone: 'bad', text: transport.reason };
  if (!snapshot) return { tone: 'warn', text: 'Connecting to the agent…' };
  const c = snapshot.connection;
  const where = c.serverUrl ?? 'no server';
  switch (c.state) {
    case 'connected':
      return { tone: 'ok', text: `${c.mode === 'embedded' ? 'Embedded server' : 'Server'} ${where}` };
    case 'connecting':
      return { tone: 'warn', text: `Connecting to ${where}…` };
    case 'unauthorized':
      return { tone: 'bad', text: `${where} refused the credentials${c.detail ? `: ${c.detail}` : ''}` };
    case 'unreachable':
      return { tone: 'bad', text: `${where} unreachable${c.detail ? ` — ${c.detail}` : ' — logs are spooled, retrying'}` };
    case 'not-configured':
      return { tone: 'warn', text: 'Not set up: no server configured' };
  }
}

export function Header({ snapshot, transport }: { snapshot: AgentSnapshot | null; transport: TransportStatus }) {
  const theme = useUiStore((s) => s.theme);
  const setTheme = useUiStore((s) => s.setTheme);
  const line = connectionLine(snapshot, transport);
  const ThemeIcon = theme === 'dark' ? Moon : theme === 'light' ? Sun : SunMoon;
  return (
    <header className="header">
      <div className="header-title">
        <span className={clsx('state-dot', `state-${snapshot?.state ?? 'idle'}`)} aria-hidden="true" />
        <div>
          <p className="app-name">Tray Agent</p>
          <p className="state-line" data-testid="agent-state">
            {snapshot ? snapshot.stateReason : 'Connecting…'}
          </p>
        </div>
      </div>
      <p className={clsx('connection-pill', `tone-${line.tone}`)} data-testid="connection-line">
        {line.text}
      </p>
      <div className="header-actions">
        {snapshot && !snapshot.needsSetup ? <PauseControl snapshot={snapshot} /> : null}
        <button type="button" className="icon-button" onClick={() => setTheme(nextTheme[theme])} aria-label={`Theme: ${theme} (switch to ${nextTheme[theme]})`} title={`Theme: ${theme}`}>
          <ThemeIcon size={18} aria-hidden="true" />
        </button>
      </div>
    </header>
  );
}
