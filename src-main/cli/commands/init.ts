import { Writable } from 'node:stream';
import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import { commandAction } from '../command-errors.js';
import { loadAgentConfig } from '../../engine/config/index.js';
import {
  CredentialsPasteError,
  createSetupService,
  existingServerFacts,
  parseCredentialsBlock,
  resolveConfigPath,
  verifyCredentials,
  writeWizardSettings,
  type PastedCredentials,
  type ServerCredentials,
} from '../../control/setup/index.js';

// `tray-agent init`: clearml-agent's terminal wizard, with its prompts and messages, on the same
// setup logic as the window's wizard (src-main/control/setup). Unlike clearml-agent's, it does
// not stop when clearml.conf exists: it adds only what the file lacks and never changes a key.

const PASTE_ATTEMPTS = 3;

export class InitCancelledError extends Error {
  override readonly name = 'InitCancelledError';
}

/** Line-at-a-time terminal input with prompts, a hidden mode for passwords, and Ctrl+C/Ctrl+D as "cancel". */
class TerminalPrompter {
  readonly #rl: Interface;
  readonly #lines: string[] = [];
  readonly #waiting: Array<(line: string | null) => void> = [];
  #closed = false;
  #muted = false;

  constructor(input: NodeJS.ReadableStream & { isTTY?: boolean }, private readonly out: NodeJS.WritableStream) {
    // readline echoes what is typed through its output; a muted output hides a password.
    const echo = new Writable({
      write: (chunk, _encoding, done) => {
        if (!this.#muted) out.write(chunk);
        done();
      },
    });
    this.#rl = createInterface({ input, output: echo, terminal: input.isTTY === true });
    this.#rl.on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#lines.push(line);
    });
    const cancel = () => {
      this.#closed = true;
      for (const waiter of this.#waiting.splice(0)) waiter(null);
    };
    this.#rl.on('close', cancel);
    this.#rl.on('SIGINT', () => this.#rl.close());
  }

  /** Hides what is typed (a pasted block holds the API secret; a git password). */
  hideInput(hidden: boolean): void {
    this.#muted = hidden;
  }

  /** The next line, or null once the input ended or Ctrl+C was pressed. */
  nextLine(): Promise<string | null> {
    const queued = this.#lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async ask(prompt: string, options: { hidden?: boolean } = {}): Promise<string> {
    this.out.write(prompt);
    this.#muted = options.hidden === true;
    const line = await this.nextLine();
    if (this.#muted) this.out.write('\n');
    this.#muted = false;
    if (line === null) throw new InitCancelledError('setup cancelled; nothing was written');
    return line;
  }

  close(): void {
    this.#rl.close();
  }
}

/**
 * Reads one pasted block: lines until the braces opened by the block are closed again (the web
 * app's block ends with the `}` of `api {`), or a blank line after a brace-less paste.
 */
export async function readPastedBlock(nextLine: () => Promise<string | null>): Promise<string | null> {
  const lines: string[] = [];
  let depth = 0;
  let opened = false;
  for (;;) {
    const line = await nextLine();
    if (line === null) return lines.length > 0 ? lines.join('\n') : null;
    if (lines.length === 0 && line.trim() === '') continue;
    lines.push(line);
    for (const char of line.replace(/"(?:[^"\\]|\\.)*"/g, '')) {
      if (char === '{') {
        depth += 1;
        opened = true;
      } else if (char === '}') depth -= 1;
    }
    if (opened && depth <= 0) return lines.join('\n');
    if (!opened && line.trim() === '') return lines.join('\n');
  }
}

interface InitIo {
  out: (text: string) => void;
  prompter: TerminalPrompter;
}

async function existingCredentials(configPath: string): Promise<ServerCredentials | null> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch {
    return null;
  }
  if (!existingServerFacts(text, configPath).hasCredentials) return null;
  const { config } = await loadAgentConfig({ configFile: configPath });
  const { accessKey, secretKey } = config.api.credentials;
  if (!config.api.apiServer || !accessKey || !secretKey) return null;
  return { apiServer: config.api.apiServer, accessKey, secretKey };
}

async function askForCredentials(io: InitIo): Promise<PastedCredentials> {
  for (let attempt = 1; ; attempt += 1) {
    io.out('\nPaste copied configuration here:\n(what you paste is not shown: it holds your secret key)\n');
    io.prompter.hideInput(true);
    const block = await readPastedBlock(() => io.prompter.nextLine()).finally(() => io.prompter.hideInput(false));
    if (block === null) throw new InitCancelledError('setup cancelled; nothing was written');
    let credentials: PastedCredentials;
    try {
      credentials = parseCredentialsBlock(block);
    } catch (error) {
      if (!(error instanceof CredentialsPasteError)) throw error;
      io.out(`\nCould not use the pasted text: ${error.message}.\n`);
      if (attempt >= PASTE_ATTEMPTS) throw new Error(`no usable credentials after ${PASTE_ATTEMPTS} attempts; nothing was written`, { cause: error });
      continue;
    }
    io.out(`Detected credentials key="${credentials.accessKey}" secret="****"\n`);
    io.out(`  API server:  ${credentials.apiServer}\n  Web app:     ${credentials.webServer ?? '-'}\n  File server: ${credentials.filesServer ?? '-'}\n`);
    io.out('Verifying credentials ...\n');
    const verified = await verifyCredentials(credentials);
    if (verified.ok) {
      io.out(`Credentials verified!${verified.user ? ` Logged in as ${verified.user}` : ''}${verified.apiVersion ? ` (API ${verified.apiVersion})` : ''}\n`);
      return credentials;
    }
    io.out(`Could not verify the credentials: ${verified.error}.\n`);
    if (attempt >= PASTE_ATTEMPTS) throw new Error(`the credentials could not be verified after ${PASTE_ATTEMPTS} attempts; nothing was written`);
  }
}

export async function runInitWizard(configPath: string, io: InitIo): Promise<void> {
  const state = await createSetupService({ configPath }).getState();
  io.out(`Tray Agent setup: connects this machine to a ClearML server and stores the settings in ${configPath}.\n`);
  if (state.configExists) io.out(`${configPath} exists: only the settings it lacks will be added; nothing in it is changed.\n`);

  let server: ServerCredentials & { webServer?: string | null; filesServer?: string | null };
  const kept = state.hasCredentials ? await existingCredentials(configPath) : null;
  if (kept) {
    io.out(`${configPath} already holds credentials for ${kept.apiServer}; they are kept.\nVerifying credentials ...\n`);
    const verified = await verifyCredentials(kept);
    if (!verified.ok) throw new Error(`${verified.error}. The credentials in ${configPath} do not work; fix or remove them there (init never overwrites them) and rerun`);
    io.out(`Credentials verified!${verified.user ? ` Logged in as ${verified.user}` : ''}\n`);
    server = kept;
  } else {
    io.out(
      '\nIn the ClearML web app open Settings > Workspace, press "Create new credentials" and copy the block it shows.\n' +
        '(No ClearML server yet? `tray-agent up` starts one on this workstation and writes this file for you.)\n',
    );
    server = await askForCredentials(io);
  }

  const gitUser = (await io.prompter.ask('\nEnter git username for repository cloning (leave blank for SSH key authentication): [] ')).trim();
  const gitPass = gitUser ? await io.prompter.ask(`Enter password (or access token) for user '${gitUser}': `, { hidden: true }) : '';
  const extraIndexUrl = (
    await io.prompter.ask('\nEnter additional artifact repository (extra-index-url) to use when installing python packages (leave blank if not required): ')
  ).trim();

  const plan = await writeWizardSettings(configPath, {
    apiServer: server.apiServer,
    webServer: server.webServer ?? null,
    filesServer: server.filesServer ?? null,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    gitUser,
    gitPass,
    extraIndexUrl,
  });
  if (plan.text === null) {
    io.out(`\n${configPath} already has all of these settings; nothing was changed.\n`);
  } else {
    io.out(`\nNew configuration stored in ${configPath}\n`);
    if (!plan.created) io.out(`  added: ${plan.added.join(', ')}\n`);
  }
  if (!plan.created && plan.kept.length > 0) io.out(`  already set there, left unchanged: ${plan.kept.join(', ')}\n`);
  if (plan.otherServer) {
    io.out(`  note: ${configPath} points at ${plan.otherServer}; its api section was left as it is (edit it, or use --config-file for another file)\n`);
  }
  io.out('Tray Agent setup completed. Start a worker with `tray-agent daemon --queue default`.\n');
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('set up ~/clearml.conf: paste credentials from the ClearML web app, verify them, add git and package index settings')
    .action(
      commandAction('init', async (_flags: unknown, cmd: Command) => {
        const configPath = resolveConfigPath({ configFile: cmd.optsWithGlobals()['configFile'] as string | undefined });
        const prompter = new TerminalPrompter(process.stdin, process.stdout);
        try {
          await runInitWizard(configPath, { out: (text) => process.stdout.write(text), prompter });
        } catch (error) {
          if (!(error instanceof InitCancelledError)) throw error;
          process.stderr.write(`\ntray-agent init: ${error.message}\n`);
          process.exitCode = 130;
        } finally {
          prompter.close();
        }
      }),
    );
}
