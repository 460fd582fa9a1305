import type { AgentConfig } from './load.js';

/**
 * Exports the top-level `environment {}` section into `env` (the agent's environment, inherited by
 * tasks) when `agent.apply_environment` is on. Returns the names it set.
 */
export function applyEnvironmentSection(config: AgentConfig, env: Record<string, string | undefined>): string[] {
  if (!config.agent.applyEnvironment) return [];
  const names = Object.keys(config.environment);
  for (const name of names) env[name] = config.environment[name];
  return names;
}
