import { useAgentStore } from './store.js';

export function App() {
  const snapshot = useAgentStore((s) => s.snapshot);
  const connectionError = useAgentStore((s) => s.connectionError);
  if (connectionError) return <main role="alert">Not connected to the agent: {connectionError}</main>;
  if (!snapshot) return <main>Connecting to the agent…</main>;
  return (
    <main>
      <h1>Tray Agent</h1>
      <p data-testid="agent-state">
        {snapshot.state}: {snapshot.stateReason}
      </p>
      <p>Server: {snapshot.connection.serverUrl ?? "not configured"}</p>
    </main>
  );
}
