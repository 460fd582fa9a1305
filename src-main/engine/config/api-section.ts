// The one writer of clearml.conf's `api { ... }` section: the embedded server's --init-conf and
// first-start print, `up`, and the setup wizard's new file.

export interface ApiSection {
  readonly apiServer: string;
  /** Left out when null or absent. */
  readonly webServer?: string | null;
  readonly filesServer?: string | null;
  readonly accessKey: string;
  readonly secretKey: string;
}

const BARE_URL = /^https?:\/\/[A-Za-z0-9.\-_~:/%]*$/;

/** A plain http(s) URL HOCON reads bare (no `[`, `?`, `#`, nor a second `//`, which starts a comment). */
function readsBare(url: string): boolean {
  return BARE_URL.test(url) && !url.slice(url.indexOf('//') + 2).includes('//');
}

export interface ApiSectionStyle {
  /** `#` lines right inside `api {`. */
  readonly comments?: readonly string[];
  /**
   * URLs bare, the way the ClearML web app hands the block out (for a block a user copies);
   * one HOCON would misread is quoted anyway. Default: every URL quoted.
   */
  readonly bareUrls?: boolean;
}

/** The section's text, ending in a newline. */
export function renderApiSection(section: ApiSection, style: ApiSectionStyle = {}): string {
  const url = (value: string) => (style.bareUrls && readsBare(value) ? value : JSON.stringify(value));
  const lines = ['api {', ...(style.comments ?? []).map((line) => `    # ${line}`), `    api_server: ${url(section.apiServer)}`];
  if (section.webServer) lines.push(`    web_server: ${url(section.webServer)}`);
  if (section.filesServer) lines.push(`    files_server: ${url(section.filesServer)}`);
  lines.push(
    '    credentials {',
    `        "access_key" = ${JSON.stringify(section.accessKey)}`,
    `        "secret_key" = ${JSON.stringify(section.secretKey)}`,
    '    }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}
