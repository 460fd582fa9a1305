import type { AgentSnapshot } from '../../src-shared/bridge.js';
import { RelativeTime } from '../components/RelativeTime.js';
import { useAgentStore } from '../stores/agent-store.js';
import { useUiStore } from '../stores/ui-store.js';

const stateWords: Record<AgentSnapshot['connection']['state'], string> = {
  'not-configured': 'not set up',
  connecting: 'connecting',
  connected: 'connected',
  unreachable: 'unreachable',
  unauthorized: 'credentials refused',
};

export function ConnectionView({ snapshot }: { snapshot: AgentSnapshot }) {
  const perform = useAgentStore((s) => s.perform);
  const go = useUiStore((s) => s.go);
  const c = snapshot.connection;
  const rows: Array<[string, string | null]> = [
    ['Server', c.serverUrl],
    ['Web app', c.webUrl],
    ['Kind', c.mode === 'embedded' ? 'embedded (this workstation only)' : 'remote ClearML server'],
    ['User', c.user?.name ?? null],
    ['API version', c.apiVersion],
    ['Access key', c.accessKeyMasked],
    ['Agent version', snapshot.version],
  ];
  return (
    <section aria-labelledby="connection-title" className="view">
      <h1 id="connection-title">Connection</h1>
      <article className="card" aria-labelledby="server-title">
        <h2 id="server-title">
          Server: <span className={c.state === 'connected' ? 'good' : 'bad'}>{stateWords[c.state]}</span>{' '}
          <span className="muted small">
            since <RelativeTime at={c.since} />
          </span>
        </h2>
        {c.detail ? <p className="warn">{c.detail}</p> : null}
        <dl className="facts">
          {rows.map(([term, value]) => (
            <div key={term}>
              <dt>{term}</dt>
              <dd className="truncate" title={value ?? undefined}>
                {value ?? '–'}
              </dd>
            </div>
          ))}
        </dl>
        <div className="card-actions">
          <button type="button" className="button" onClick={() => go('setup')}>
            Switch server…
          </button>
          <button type="button" className="button" onClick={() => void perform('reloadConfig', {}, 'Configuration read again')}>
            Reload configuration
          </button>
        </div>
      </article>
      <article className="card" aria-labelledby="machine-title">
        <h2 id="machine-title">This machine</h2>
        <label className="switch">
          <input type="checkbox" checked={snapshot.preferences.autostart} onChange={(event) => void perform('setAutostart', { enabled: event.target.checked }, event.target.checked ? 'Tray Agent starts when you log in' : 'Tray Agent no longer starts on login')} />
          <span>Start Tray Agent when I log in</span>
        </label>
        <h3>Workers</h3>
        {snapshot.workers.length === 0 ? (
          <p className="muted">No worker running.</p>
        ) : (
          <ul className="plain-list">
            {snapshot.workers.map((w) => (
              <li key={w.id}>
                <code>{w.id}</code> — {w.kind}
                {w.mode !== 'single' ? ` (${w.mode})` : ''}, queues {w.queueNames.join(', ') || 'none'}
                {w.draining ? ', draining' : ''}
              </li>
            ))}
          </ul>
        )}
      </article>
    </section>
  );
}
