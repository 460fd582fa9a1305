// The setup wizard's logic, shared by the window's wizard (through the bridge) and the terminal
// `tray-agent init`: read what clearml.conf has, understand a pasted block, verify it by logging
// in, and write only what is missing.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ParsedCredentials, SetupRequest, SetupResult, SetupState, VerifyResult } from '../../../src-shared/views.js';
import { describeCredentials, parseCredentialsBlock, type PastedCredentials } from './parse-credentials.js';
import { verifyCredentials, type ServerCredentials, type VerifyOptions } from './verify-credentials.js';
import { existingServerFacts, writeWizardSettings, type WizardSettings } from './write-config.js';

export interface EmbeddedServerAccess {
  readonly url: string;
  readonly credentials: { readonly accessKey: string; readonly secretKey: string };
}

export interface SetupServiceOptions {
  /** The clearml.conf the agent reads (see resolveConfigPath). */
  configPath: string;
  /**
   * "This workstation only": starts (or finds) the embedded server and hands over a key pair
   * for it. The agent host supplies it; without it the embedded choice is refused.
   */
  embeddedServer?: () => Promise<EmbeddedServerAccess>;
  verify?: VerifyOptions;
}

/** `--config-file`, else $CLEARML_CONFIG_FILE, else ~/clearml.conf — the file clearml-agent reads and its init writes. */
export function resolveConfigPath(options: { configFile?: string; env?: Record<string, string | undefined>; home?: string } = {}): string {
  const env = options.env ?? process.env;
  return options.configFile?.trim() || env['CLEARML_CONFIG_FILE']?.trim() || join(options.home ?? homedir(), 'clearml.conf');
}

export class SetupError extends Error {
  override readonly name = 'SetupError';
}

export interface SetupService {
  getState(): Promise<SetupState>;
  parseCredentials(text: string): ParsedCredentials;
  verify(mode: 'embedded' | 'remote', credentialsText?: string): Promise<VerifyResult>;
  save(request: SetupRequest): Promise<SetupResult>;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export function createSetupService(options: SetupServiceOptions): SetupService {
  const embedded = async (): Promise<ServerCredentials & { webServer: string; filesServer: string }> => {
    if (!options.embeddedServer) throw new SetupError('the embedded server is not available here; paste credentials from a ClearML server instead');
    const access = await options.embeddedServer();
    // The embedded server has no web app or file server of its own: all three point at it.
    return { apiServer: access.url, webServer: access.url, filesServer: access.url, ...access.credentials };
  };
  const remote = (credentialsText: string | undefined): PastedCredentials => {
    if (credentialsText === undefined) throw new SetupError('no credentials were pasted; paste the block the ClearML web app copies');
    return parseCredentialsBlock(credentialsText);
  };

  return {
    async getState() {
      const text = await readText(options.configPath);
      let hasCredentials = false;
      let serverUrl: string | null = null;
      if (text !== null && text.trim() !== '') {
        try {
          ({ hasCredentials, apiServer: serverUrl } = existingServerFacts(text, options.configPath));
        } catch {
          // A file that does not parse is reported when the wizard tries to add to it.
        }
      }
      return { configPath: options.configPath, configExists: text !== null, hasCredentials, serverUrl };
    },
    parseCredentials(text) {
      return describeCredentials(parseCredentialsBlock(text));
    },
    async verify(mode, credentialsText) {
      const credentials = mode === 'embedded' ? await embedded() : remote(credentialsText);
      return verifyCredentials(credentials, options.verify);
    },
    async save(request) {
      const server = request.mode === 'embedded' ? await embedded() : remote(request.credentialsText);
      const verified = await verifyCredentials(server, options.verify);
      if (!verified.ok) throw new SetupError(`${verified.error}; nothing was written`);
      const settings: WizardSettings = {
        apiServer: server.apiServer,
        webServer: server.webServer,
        filesServer: server.filesServer,
        accessKey: server.accessKey,
        secretKey: server.secretKey,
        gitUser: request.gitUser,
        gitPass: request.gitToken,
        extraIndexUrl: request.extraIndexUrl,
      };
      const plan = await writeWizardSettings(options.configPath, settings);
      return { configPath: options.configPath, created: plan.created, added: plan.added, kept: plan.kept, otherServer: plan.otherServer };
    },
  };
}
