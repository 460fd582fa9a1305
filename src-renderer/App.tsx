import { useEffect } from 'react';
import { Header } from './components/Header.js';
import { Navigation } from './components/Navigation.js';
import { Notices } from './components/Notices.js';
import { useAgentStore } from './stores/agent-store.js';
import { useUiStore } from './stores/ui-store.js';
import { ConnectionView } from './views/ConnectionView.js';
import { GpusView } from './views/GpusView.js';
import { LogsView } from './views/LogsView.js';
import { OverviewView } from './views/OverviewView.js';
import { QueuesView } from './views/QueuesView.js';
import { ScheduleView } from './views/ScheduleView.js';
import { SetupWizard } from './views/SetupWizard.js';
import { TasksView } from './views/TasksView.js';

function CurrentView() {
  const snapshot = useAgentStore((s) => s.snapshot);
  const loadError = useAgentStore((s) => s.loadError);
  const view = useUiStore((s) => s.view);
  if (!snapshot) {
    return loadError ? (
      <section className="view" aria-labelledby="error-title">
        <h1 id="error-title">Cannot read the agent’s state</h1>
        <p className="bad" role="alert">
          {loadError}
        </p>
        <p className="muted">The window retries when the connection comes back.</p>
      </section>
    ) : (
      <section className="view" aria-labelledby="wait-title">
        <h1 id="wait-title">Connecting to the agent…</h1>
      </section>
    );
  }
  if (snapshot.needsSetup || view === 'setup') return <SetupWizard />;
  switch (view) {
    case 'tasks':
      return <TasksView snapshot={snapshot} />;
    case 'logs':
      return <LogsView snapshot={snapshot} />;
    case 'gpus':
      return <GpusView snapshot={snapshot} />;
    case 'queues':
      return <QueuesView snapshot={snapshot} />;
    case 'schedule':
      return <ScheduleView snapshot={snapshot} />;
    case 'connection':
      return <ConnectionView snapshot={snapshot} />;
    default:
      return <OverviewView snapshot={snapshot} />;
  }
}

export function App() {
  const snapshot = useAgentStore((s) => s.snapshot);
  const transport = useAgentStore((s) => s.transport);
  const theme = useUiStore((s) => s.theme);
  const view = useUiStore((s) => s.view);
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = theme;
  }, [theme]);
  // Without a configuration the wizard is the page; it stays on screen after saving, for the result.
  const needsSetup = snapshot?.needsSetup === true;
  useEffect(() => {
    if (needsSetup && useUiStore.getState().view !== 'setup') useUiStore.getState().go('setup');
  }, [needsSetup]);
  useEffect(() => {
    document.title = `${view[0]!.toUpperCase()}${view.slice(1)} — Tray Agent`;
  }, [view]);
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header snapshot={snapshot} transport={transport} />
      <div className="body">
        <Navigation />
        <main id="main" className="main" tabIndex={-1}>
          <CurrentView />
        </main>
      </div>
      <Notices />
    </div>
  );
}
