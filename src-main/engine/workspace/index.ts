// The workspace phase (DESIGN.md, phase 3). See docs/workspace.md.
export { prepareWorkspace } from './prepare-workspace.js';
export { evictVcsCache, type EvictionResult } from './vcs-cache.js';
export { WorkspaceError, type WorkspaceFailureReason } from './errors.js';
export { planRepoAccess, redactUrlCredentials, type RepoAccessPlan, type AskPassCredentials } from './repo-url.js';
export { classifyScriptDiff, type ScriptDiff } from './script-diff.js';
export type { GitAccessOptions, PreparedWorkspace, WorkspaceOptions, WorkspaceRequest } from './types.js';
