// The credentials block users copy from the ClearML web app (Settings > Workspace > "Create new
// credentials"): HOCON like `api { web_server: …, api_server: …, files_server: …,
// credentials { "access_key" = "…", "secret_key" = "…" } }`. Parsed with the engine's HOCON
// reader, so whatever clearml.conf accepts is accepted here too.
import { readHoconDocument } from '../../engine/config/hocon/index.js';
import { deriveServerUrl } from '../../engine/config/index.js';
import { isConfigTree, type ConfigTree, type ConfigValue } from '../../engine/config/tree.js';
import type { ParsedCredentials } from '../../../src-shared/views.js';

/** What a pasted block holds, secret included: stays in the main process. */
export interface PastedCredentials {
  readonly apiServer: string;
  readonly webServer: string | null;
  readonly filesServer: string | null;
  readonly accessKey: string;
  readonly secretKey: string;
}

/** The pasted text is not a credentials block; the message says what was expected. */
export class CredentialsPasteError extends Error {
  override readonly name = 'CredentialsPasteError';
}

const EXPECTED =
  'paste the whole block the ClearML web app copies (Settings > Workspace > "Create new credentials" > copy), ' +
  'starting with `api {` and ending with its closing `}`';

function child(tree: ConfigTree | undefined, key: string): ConfigValue | undefined {
  return tree ? tree[key] : undefined;
}

function text(value: ConfigValue | undefined): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function httpUrl(value: string, key: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CredentialsPasteError(`${key} "${value}" is not a URL; expected e.g. https://api.clear.ml`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CredentialsPasteError(`${key} "${value}" is not an http(s) URL; expected e.g. https://api.clear.ml`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * The API server a web server address implies (clearml's own rule, reversed): app.→api.,
 * demoapp.→demoapi., port 8080→8008.
 */
export function apiServerFromWebServer(webServer: string): string | null {
  let url: URL;
  try {
    url = new URL(webServer);
  } catch {
    return null;
  }
  if (url.hostname.startsWith('app.')) url.hostname = `api.${url.hostname.slice(4)}`;
  else if (url.hostname.startsWith('demoapp.')) url.hostname = `demoapi.${url.hostname.slice(8)}`;
  else if (url.port === '8080') url.port = '8008';
  else return null;
  return url.toString().replace(/\/+$/, '');
}

function parseHocon(pasted: string): ConfigTree {
  try {
    return readHoconDocument(pasted, {
      file: 'pasted configuration',
      env: {},
      readFile: () => null,
      describe: (origin) => (origin.kind === 'file' ? `line ${origin.line}` : 'pasted configuration'),
    }).tree;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new CredentialsPasteError(`the pasted text is not a configuration block (${detail}); ${EXPECTED}`);
  }
}

/** Parses a pasted block; throws CredentialsPasteError naming what is missing or wrong. */
export function parseCredentialsBlock(pasted: string): PastedCredentials {
  if (pasted.trim() === '') throw new CredentialsPasteError(`nothing was pasted; ${EXPECTED}`);
  const tree = parseHocon(pasted);
  // The block may come with or without the enclosing `api { }`.
  const api = isConfigTree(tree['api']) ? tree['api'] : tree;
  const credentials = child(api, 'credentials');
  const credentialsTree = isConfigTree(credentials) ? credentials : undefined;
  const accessKey = text(child(credentialsTree, 'access_key'));
  const secretKey = text(child(credentialsTree, 'secret_key'));
  if (!credentialsTree || (!accessKey && !secretKey)) {
    throw new CredentialsPasteError(`the pasted text has no \`credentials { access_key, secret_key }\` section; ${EXPECTED}`);
  }
  if (!accessKey) throw new CredentialsPasteError(`the pasted credentials have no access_key; ${EXPECTED}`);
  if (!secretKey) throw new CredentialsPasteError(`the pasted credentials have no secret_key; ${EXPECTED}`);

  const webText = text(child(api, 'web_server'));
  const webServer = webText ? httpUrl(webText, 'web_server') : null;
  const apiText = text(child(api, 'api_server')) ?? text(child(api, 'host'));
  const apiServer = apiText ? httpUrl(apiText, 'api_server') : webServer ? apiServerFromWebServer(webServer) : null;
  if (!apiServer) {
    throw new CredentialsPasteError(
      webServer
        ? `the pasted block has no api_server and none follows from web_server ${webServer}; add \`api_server: <URL of the API>\` to it`
        : `the pasted block names no server (api_server); ${EXPECTED}`,
    );
  }
  const filesText = text(child(api, 'files_server'));
  return {
    apiServer,
    webServer: webServer ?? deriveServerUrl(apiServer, 'web'),
    filesServer: filesText ? httpUrl(filesText, 'files_server') : deriveServerUrl(apiServer, 'files'),
    accessKey,
    secretKey,
  };
}

/** An access key as the UI shows it: its first 4 characters, the rest masked. */
export function maskAccessKey(accessKey: string): string {
  return `${accessKey.slice(0, 4)}${'*'.repeat(Math.max(4, accessKey.length - 4))}`;
}

/** The page's view of a pasted block: never the secret itself. */
export function describeCredentials(credentials: PastedCredentials): ParsedCredentials {
  return {
    apiServer: credentials.apiServer,
    webServer: credentials.webServer,
    filesServer: credentials.filesServer,
    // The access key names the key pair (the web app lists it); only the secret is a secret.
    accessKey: credentials.accessKey,
    secretKeyMasked: '********',
  };
}
