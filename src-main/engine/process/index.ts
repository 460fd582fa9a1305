/** One way to start, watch and stop processes (DESIGN.md: own group, SIGINT → SIGTERM → SIGKILL). */
export { startProcess, startDetachedProcess, ProcessStartError, type ManagedProcess, type ProcessExit, type StartProcessOptions } from './start-process.js';
export { runCommand, summariseFailure, CommandCancelledError, type ProcessResult, type RunCommandOptions } from './run-command.js';
export { escalateStop, escalationSchedule, stopProcessGroup, type StopOutcome, type StopSignalName } from './stop-escalation.js';
export { isProcessAlive, isProcessAliveNow, processGroupAlive, processStartTicks } from './liveness.js';
