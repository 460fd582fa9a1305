import { create } from 'zustand';
import type { AgentSnapshot } from '../src-shared/bridge.js';

interface AgentStore {
  snapshot: AgentSnapshot | null;
  connectionError: string | null;
  setSnapshot: (snapshot: AgentSnapshot) => void;
  setConnectionError: (message: string) => void;
}

export const useAgentStore = create<AgentStore>((set) => ({
  snapshot: null,
  connectionError: null,
  setSnapshot: (snapshot) => set({ snapshot, connectionError: null }),
  setConnectionError: (message) => set({ connectionError: message }),
}));
