/**
 * The agent host (DESIGN.md control/): the one transport-free façade the CLI, the tray and the
 * dashboard drive — embedded server, daemons, single runs, snapshot, actions, events.
 */
export { AgentHost, type AgentHostOptions, type AutostartAdapter, type EmbeddedServerInfo, type PreferencesStore, type SetupService } from './agent-host.js';
export { executeTask, type ExecuteOptions } from './execute-task.js';
export { handleStopSignals, type SignalHandling, type StopKind } from './signals.js';
export { BridgeCallError, toBridgeFailure } from './bridge-errors.js';
export { buildSnapshot, type HostState } from './snapshot-builder.js';
