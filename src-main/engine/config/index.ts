/**
 * Configuration: clearml.conf (HOCON) + environment → one typed, validated AgentConfig.
 * See docs/configuration.md for every key, variable and rule.
 */
export { loadAgentConfig, configFilesToRead, deriveServerUrl } from './load.js';
export type { AgentConfig, LoadAgentConfigOptions, LoadedAgentConfig, ConfigOverrideLayer } from './load.js';
export { ConfigError, describeOrigin, displayPath } from './errors.js';
export type { Origin } from './errors.js';
export { maskSecrets, maskUrlPasswords, flattenConfig, collectSecretValues, MASK } from './mask.js';
export { applyEnvironmentSection } from './environment-section.js';
export { applyFilesSection, fileEntryBytes } from './files-section.js';
export type { FileEntry, FileWriteResult } from './files-section.js';
export { FIXED_ENV_MAPPINGS, DYNAMIC_OVERRIDE_PREFIX } from './env-layers.js';
export { builtInDefaults } from './defaults.js';
export { splitShellWords } from './shell-words.js';
export type { ConfigTree, ConfigValue } from './tree.js';
