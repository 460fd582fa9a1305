// Everything a command prints goes through the same redaction as the shipped task log: the API
// secret, git passwords, `*_TOKEN`-style environment values and passwords inside URLs never
// reach a terminal, a --log-file or a detached daemon's log.
import { collectSecretValues, loadAgentConfig, maskUrlPasswords, type ConfigOverrideLayer } from '../engine/config/index.js';
import { createRedactor } from '../engine/logs/index.js';

export type TextRedactor = (text: string) => string;

/** The redactor for this configuration and environment (falls back to URL masking if the config cannot be read). */
export async function terminalRedactor(configFile: string | undefined, layers: readonly ConfigOverrideLayer[] = [], env: NodeJS.ProcessEnv = process.env): Promise<TextRedactor> {
  try {
    const { config } = await loadAgentConfig({ configFile, env, overrides: [...layers] });
    const redactor = createRedactor({ secrets: collectSecretValues(config), env });
    return (text) => redactor.redact(text);
  } catch {
    const redactor = createRedactor({ secrets: [], env });
    return (text) => maskUrlPasswords(redactor.redact(text));
  }
}
