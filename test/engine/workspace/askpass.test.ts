// The askpass helper script on its own: what it answers for which prompt and host.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createAskPassHelper } from '../../../src-main/engine/workspace/askpass.js';

const execFileAsync = promisify(execFile);

async function answers(host: string | null, prompts: string[]): Promise<string[]> {
  const helper = await createAskPassHelper({ user: 'u$er', pass: "p'a ss\"word", host, source: 'config' }, 'task/../x');
  try {
    expect((await stat(helper.dir)).mode & 0o777).toBe(0o700);
    expect(helper.dir).not.toContain('..');
    const out: string[] = [];
    for (const prompt of prompts) {
      const { stdout } = await execFileAsync(helper.env.GIT_ASKPASS!, [prompt], { env: { PATH: process.env.PATH, ...helper.env } });
      out.push(stdout);
    }
    return out;
  } finally {
    await helper.remove();
    expect(existsSync(helper.dir)).toBe(false);
  }
}

describe('askpass helper', () => {
  it('answers user and password verbatim (quotes, spaces, $) for its host on any port', async () => {
    expect(
      await answers('git.corp', ["Username for 'https://git.corp': ", "Password for 'https://u%24er@git.corp:8443': ", "Username for 'https://GIT.CORP': "]),
    ).toEqual(['u$er\n', "p'a ss\"word\n", 'u$er\n']);
  });

  it('answers empty for other hosts, look-alike hosts and other prompts', async () => {
    expect(
      await answers('git.corp', [
        "Username for 'https://github.com': ",
        "Password for 'https://git.corp.evil.example': ",
        "Username for 'https://evil.example/git.corp': ",
        "Enter passphrase for key '/root/.ssh/id_rsa': ",
      ]),
    ).toEqual(['\n', '\n', '\n', '\n']);
  });

  it('with a port in git_host, only that port gets an answer', async () => {
    expect(await answers('git.corp:8443', ["Username for 'https://git.corp:8443': ", "Username for 'https://git.corp:9443': ", "Username for 'https://git.corp': "])).toEqual([
      'u$er\n',
      '\n',
      '\n',
    ]);
  });

  it('without a host binding answers every host', async () => {
    expect(await answers(null, ["Username for 'https://anything.example': "])).toEqual(['u$er\n']);
  });
});
