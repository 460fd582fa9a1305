import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { currentBridge } from './bridge-client.js';
import { useAgentStore } from './store.js';

const bridge = currentBridge();
const { setSnapshot, setConnectionError } = useAgentStore.getState();
if (bridge) {
  bridge.on('snapshot', setSnapshot);
  bridge.call('getSnapshot', {}).then(setSnapshot, (error: unknown) => setConnectionError(String(error)));
} else {
  setConnectionError('no bridge available in this page');
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
