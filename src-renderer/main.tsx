import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { selectBridge } from './bridge/select-bridge.js';
import { useAgentStore } from './stores/agent-store.js';
import { connectLogs } from './stores/log-store.js';
import { followLocation } from './stores/ui-store.js';
import './styles/app.css';

const bridge = selectBridge(window);
useAgentStore.getState().connect(bridge);
connectLogs(bridge);
followLocation(window);

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
