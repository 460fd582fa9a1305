/** The setup wizard's logic (window wizard and `tray-agent init`); see docs/ui.md. */
export { createSetupService, resolveConfigPath, SetupError, type SetupService, type SetupServiceOptions, type EmbeddedServerAccess } from './setup-service.js';
export { parseCredentialsBlock, describeCredentials, maskAccessKey, apiServerFromWebServer, CredentialsPasteError, type PastedCredentials } from './parse-credentials.js';
export { verifyCredentials, type ServerCredentials, type VerifyOptions } from './verify-credentials.js';
export { planConfigWrite, writeWizardSettings, existingServerFacts, ConfigWriteError, type WizardSettings, type ConfigWritePlan } from './write-config.js';
export { setupBridgeCalls, setupForAgentHost } from './setup-bridge.js';
