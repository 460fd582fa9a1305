// The one writer of clearml.conf's `api { ... }` section (the embedded server's --init-conf and
// first-start print, `up`, and the setup wizard's new file). It writes the block the way the
// ClearML web app hands it out, so a user sees the same text wherever it comes from.

export interface ApiSection {
  readonly apiServer: string;
  /** Left out when null or absent. */
  readonly webServer?: string | null;
  readonly filesServer?: string | null;
  readonly accessKey: string;
  readonly secretKey: string;
}

/** Plain http(s) URLs stay bare as in the web app's block; anything else is quoted. */
const BARE_URL = /^https?:\/\/[A-Za-z0-9.\-_~:/%]*$/;

/** A string as a HOCON value. */
export function hoconString(value: string): string {
  return BARE_URL.test(value) && !value.slice(value.indexOf('//') + 2).includes('//') ? value : JSON.stringify(value);
}

/** The section's text, ending in a newline; `comments` go as `#` lines right inside `api {`. */
export function renderApiSection(section: ApiSection, comments: readonly string[] = []): string {
  const lines = ['api {', ...comments.map((line) => `    # ${line}`), `    api_server: ${hoconString(section.apiServer)}`];
  if (section.webServer) lines.push(`    web_server: ${hoconString(section.webServer)}`);
  if (section.filesServer) lines.push(`    files_server: ${hoconString(section.filesServer)}`);
  lines.push(
    '    credentials {',
    `        "access_key" = ${JSON.stringify(section.accessKey)}`,
    `        "secret_key" = ${JSON.stringify(section.secretKey)}`,
    '    }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}
