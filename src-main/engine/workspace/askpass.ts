// The per-task GIT_ASKPASS helper. git runs it with its prompt ("Username for
// 'https://host': ") as the only argument; the helper answers from environment variables of
// the git process, so the secret is never in argv, in a URL, in .git/config or in a file.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AskPassCredentials } from './repo-url.js';

export const ASKPASS_USER_VAR = 'TRAY_AGENT_GIT_ASKPASS_USER';
export const ASKPASS_PASS_VAR = 'TRAY_AGENT_GIT_ASKPASS_PASS';
export const ASKPASS_HOST_VAR = 'TRAY_AGENT_GIT_ASKPASS_HOST';

// POSIX sh, no secrets inside. The host check mirrors gitHostMatches in repo-url.ts: a
// configured `name:port` must match host and port, a bare `name` matches the host on any port.
// Any other prompt (or another host) gets an empty answer, so git fails instead of leaking.
const ASKPASS_SCRIPT = `#!/bin/sh
prompt=$1
case $prompt in
  Username*) answer=$${ASKPASS_USER_VAR} ;;
  Password*) answer=$${ASKPASS_PASS_VAR} ;;
  *) printf '\\n'; exit 0 ;;
esac
if [ -n "$${ASKPASS_HOST_VAR}" ]; then
  url=\${prompt#*\\'}
  url=\${url%\\'*}
  rest=\${url#*://}
  rest=\${rest#*@}
  hostport=\${rest%%/*}
  host=\${hostport%:*}
  case $hostport in \\[*) host=\${hostport%]*}]; esac
  wanted=$(printf '%s' "$${ASKPASS_HOST_VAR}" | tr '[:upper:]' '[:lower:]')
  hostport=$(printf '%s' "$hostport" | tr '[:upper:]' '[:lower:]')
  host=$(printf '%s' "$host" | tr '[:upper:]' '[:lower:]')
  case $wanted in
    \\[*|*:*) [ "$hostport" = "$wanted" ] || [ "$host" = "$wanted" ] || answer= ;;
    *) [ "$host" = "$wanted" ] || answer= ;;
  esac
fi
printf '%s\\n' "$answer"
`;

export interface AskPassHelper {
  /** Env for every git process of the task (and pip's git): GIT_ASKPASS plus the answers. */
  env: Record<string, string>;
  dir: string;
  remove(): Promise<void>;
}

/** Creates the helper in a fresh private (0700) folder under the system temp dir. */
export async function createAskPassHelper(credentials: AskPassCredentials, taskId: string): Promise<AskPassHelper> {
  const safeTask = taskId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'task';
  const dir = await mkdtemp(join(tmpdir(), `tray-agent-askpass-${safeTask}-`));
  await chmod(dir, 0o700);
  const script = join(dir, 'askpass.sh');
  await writeFile(script, ASKPASS_SCRIPT, { mode: 0o700 });
  await chmod(script, 0o700);
  const env: Record<string, string> = {
    GIT_ASKPASS: script,
    [ASKPASS_USER_VAR]: credentials.user,
    [ASKPASS_PASS_VAR]: credentials.pass,
  };
  if (credentials.host) env[ASKPASS_HOST_VAR] = credentials.host;
  return {
    env,
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
