import { describe, expect, it } from 'vitest';
import { MASK, createRedactor } from '../../../src-main/engine/logs/index.js';

describe('createRedactor', () => {
  it('masks exact secret values wherever they appear', () => {
    const r = createRedactor({ secrets: ['s3cr3t-api-key', 'ghp_abcdef123456'] });
    expect(r.redact('key=s3cr3t-api-key token ghp_abcdef123456!\n')).toBe(`key=${MASK} token ${MASK}!\n`);
    expect(r.secretCount).toBe(2);
  });

  it('masks the longer of two overlapping secrets as a whole', () => {
    const r = createRedactor({ secrets: ['abcd', 'abcdefgh'] });
    expect(r.redact('abcdefgh abcd')).toBe(`${MASK} ${MASK}`);
  });

  it('masks the URL-encoded form of a secret and each line of a multi-line secret', () => {
    const r = createRedactor({ secrets: ['p@ss word/1', '-----BEGIN KEY-----\nMIIEowIBAAKCAQEA\n-----END KEY-----'] });
    expect(r.redact('https://u:p%40ss%20word%2F1@host/x')).toContain(MASK);
    expect(r.redact('https://u:p%40ss%20word%2F1@host/x')).not.toContain('p%40ss');
    expect(r.redact('MIIEowIBAAKCAQEA\n')).toBe(`${MASK}\n`);
  });

  it('ignores values shorter than 4 characters and empty ones', () => {
    const r = createRedactor({ secrets: ['', 'abc'], env: { A_TOKEN: 'xyz', B_KEY: 'true' } });
    expect(r.secretCount).toBe(0);
    expect(r.redact('abc xyz true')).toBe('abc xyz true');
  });

  it('masks passwords inside URLs, keeping scheme, user and host', () => {
    const r = createRedactor({ secrets: [] });
    expect(r.redact('cloning https://oauth2:glpat-XYZ123@gitlab.example.com/g/r.git\n')).toBe(
      `cloning https://oauth2:${MASK}@gitlab.example.com/g/r.git\n`,
    );
    expect(r.redact('pip: git+https://bob:p@ss@host.example/repo.git')).toBe(`pip: git+https://bob:${MASK}@host.example/repo.git`);
    expect(r.redact('redis://:hunter2@127.0.0.1:6379/0')).toBe(`redis://:${MASK}@127.0.0.1:6379/0`);
    // No credentials: nothing to mask.
    expect(r.redact('http://127.0.0.1:8008/v2.23/tasks.get_all a@b.c')).toBe('http://127.0.0.1:8008/v2.23/tasks.get_all a@b.c');
    expect(r.redact('ssh://git@github.com:22/x')).toBe('ssh://git@github.com:22/x');
  });

  it('masks values of secret-named environment variables', () => {
    const r = createRedactor({
      secrets: [],
      env: {
        HF_TOKEN: 'hf_tokenvalue1',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI',
        DB_PASSWORD: 'pa55word',
        SMTP_PASS: 'mailpass',
        CLEARML_API_SECRET: 'clearmlsecret',
        PATH: '/usr/bin:/bin',
        HOME: '/root',
      },
    });
    const out = r.redact('hf_tokenvalue1 wJalrXUtnFEMI pa55word mailpass clearmlsecret /usr/bin:/bin /root');
    expect(out).toBe(`${MASK} ${MASK} ${MASK} ${MASK} ${MASK} /usr/bin:/bin /root`);
  });

  it('holds back the end of a text that may be half a secret', () => {
    const r = createRedactor({ secrets: ['hunter2-long'] });
    expect(r.safePrefixLength('password is hunt')).toBe('password is '.length);
    expect(r.safePrefixLength('password is fine')).toBe('password is fine'.length);
    expect(r.safePrefixLength('see https://user:pa')).toBe('see https'.length);
    expect(r.safePrefixLength('see https:/')).toBe('see https'.length);
    expect(r.safePrefixLength('see https://host/page')).toBe('see https://host/page'.length);
  });

  it('stream(): masks a secret split across two writes, also inside a URL', () => {
    const r = createRedactor({ secrets: ['hunter2-long'] });
    const s = r.stream();
    let out = s.write('pass: hunt');
    out += s.write('er2-long and https://me:topse');
    out += s.write('cret@example.com done\nnext line ');
    out += s.end();
    expect(out).toBe(`pass: ${MASK} and https://me:${MASK}@example.com done\nnext line `);
    expect(out).not.toContain('hunt');
  });

  it('stream(): a whole secret in one write, its line ended by the next, is masked (a secret ending in its own first letter)', () => {
    // As Python's print writes it: the text, then the newline in a second write.
    const token = 'tok-9f8e7d6c5b4a-secret';
    const r = createRedactor({ secrets: [], env: { MY_API_TOKEN: token } });
    const s = r.stream();
    const pieces = [s.write(`token=${token}`), s.write('\n'), s.write(`again ${token}`), s.end()];
    expect(pieces.join('')).toBe(`token=${MASK}\nagain ${MASK}`);
    for (const piece of pieces) expect(piece).not.toMatch(/tok-9f8e|secre/);
  });

  it('stream(): every way of cutting a text into two writes gives the same masked text', () => {
    const secrets = ['abcab', 'xyzzy-token-x'];
    const r = createRedactor({ secrets });
    const text = 'one abcab two xyzzy-token-x three https://u:pw@h/ four abcabcab\n';
    const whole = r.redact(text);
    for (let cut = 0; cut <= text.length; cut++) {
      const s = r.stream();
      const pieces = [s.write(text.slice(0, cut)), s.write(text.slice(cut)), s.end()];
      expect(pieces.join(''), `cut at ${cut}`).toBe(whole);
      for (const piece of pieces) for (const secret of secrets) expect(piece, `cut at ${cut}`).not.toContain(secret);
    }
  });
});
