import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, describeOrigin } from '../../../src-main/engine/config/errors.js';
import { readHoconDocument, readHoconValue } from '../../../src-main/engine/config/hocon/index.js';
import { pathKey } from '../../../src-main/engine/config/tree.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hocon-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function readFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Writes `text` as a file in the temp dir and reads it back as HOCON. */
function read(text: string, env: Record<string, string | undefined> = {}, name = 'clearml.conf') {
  const file = join(dir, name);
  writeFileSync(file, text);
  return readHoconDocument(text, { file, env, readFile, describe: (origin) => describeOrigin(origin, dir) });
}

function readError(text: string, env: Record<string, string | undefined> = {}): ConfigError {
  try {
    read(text, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('readHoconDocument on clearml.conf as users write it', () => {
  it('reads the web UI credentials block with unquoted URLs and quoted keys', () => {
    const { tree } = read(`api {
  web_server: https://app.clear.ml/
  api_server: https://api.clear.ml
  files_server: https://files.clear.ml
  credentials {
    "access_key" = "AK12345"
    "secret_key" = "s3cr3t/+x=="
  }
}
`);
    expect(tree).toEqual({
      api: {
        web_server: 'https://app.clear.ml/',
        api_server: 'https://api.clear.ml',
        files_server: 'https://files.clear.ml',
        credentials: { access_key: 'AK12345', secret_key: 's3cr3t/+x==' },
      },
    });
  });

  it('merges top-level dotted keys with the object of the same name, in file order', () => {
    const { tree } = read(`agent.git_user="x"
agent.git_pass: "tok"
agent {
  worker_id: ""
  package_manager: { type: pip, extra_index_url: ["https://a/simple", ] }
}
agent.package_manager.force_upgrade = true
`);
    expect(tree).toEqual({
      agent: {
        git_user: 'x',
        git_pass: 'tok',
        worker_id: '',
        package_manager: { type: 'pip', extra_index_url: ['https://a/simple'], force_upgrade: true },
      },
    });
  });

  it('types values like pyhocon: numbers, case-insensitive booleans and null, strings otherwise', () => {
    const { tree } = read(`a: 10
b: 2.0
c: True
d: FALSE
e: null
f: 11.8
g: 10 apples
h: 0644
i: -3
j: 1.2.3
k:
l = "quoted 10"
`);
    expect(tree).toEqual({ a: 10, b: 2, c: true, d: false, e: null, f: 11.8, g: '10 apples', h: '0644', i: -3, j: '1.2.3', k: '', l: 'quoted 10' });
  });

  it('skips # and // comments but keeps // inside a URL and characters pyhocon would refuse', () => {
    const { tree } = read(`# a comment
// another
url: http://h:8008/x // trailing comment
hash: value # trailing
pipe: a | b
plus: a+b@c!
spaced: some words here
`);
    expect(tree).toEqual({ url: 'http://h:8008/x', hash: 'value', pipe: 'a | b', plus: 'a+b@c!', spaced: 'some words here' });
  });

  it('reads quoted strings with escapes, triple-quoted strings and Windows paths', () => {
    const { tree } = read(`a: "line\\nnext \\"q\\" \\u0041"
b: """multi
"line" text"""
c: C:\\Users\\me\\x
d: "C:\\Users"
`);
    expect(tree).toEqual({ a: 'line\nnext "q" A', b: 'multi\n"line" text', c: 'C:\\Users\\me\\x', d: 'C:\\Users' });
  });

  it('reads a value that starts on the next line only when it is an object or a list', () => {
    const { tree } = read(`agent
{
  list =
    [1, 2]
  obj:
    { a: 1 }
}
`);
    expect(tree).toEqual({ agent: { list: [1, 2], obj: { a: 1 } } });
  });

  it('reads a document wrapped in braces (JSON, as the daemon writes its config for tasks)', () => {
    const { tree } = read(JSON.stringify({ api: { api_server: 'http://h:8008' }, agent: { debug: true, list: [1, 'x'] } }, null, 2));
    expect(tree).toEqual({ api: { api_server: 'http://h:8008' }, agent: { debug: true, list: [1, 'x'] } });
  });

  it('resolves ${path} from anywhere in the file, then from the environment', () => {
    const { tree } = read(
      `base: /data
agent.venvs_dir: \${base}/venvs
agent.cache: \${HOME}/.cache
later: \${defined.below}
defined.below: 42
`,
      { HOME: '/home/u' },
    );
    expect(tree).toEqual({
      base: '/data',
      agent: { venvs_dir: '/data/venvs', cache: '/home/u/.cache' },
      later: 42,
      defined: { below: 42 },
    });
  });

  it('drops a key set only by a missing ${?ENV} and keeps the rest of a concatenation', () => {
    const { tree } = read(
      `agent.cuda_version: \${?CUDA_VERSION}
agent.worker_name: \${?WORKER}
path: prefix-\${?NOPE}-suffix
`,
      { WORKER: 'box1' },
    );
    expect(tree).toEqual({ agent: { worker_name: 'box1' }, path: 'prefix--suffix' });
  });

  it('substitutes whole objects and lists, and merges objects written side by side', () => {
    const { tree } = read(`defaults { retries: 3, verbose: false }
service: \${defaults} { verbose: true }
more: [1, 2] [3]
`);
    expect(tree).toEqual({
      defaults: { retries: 3, verbose: false },
      service: { retries: 3, verbose: true },
      more: [1, 2, 3],
    });
  });

  it('supports self-references and += (value before this assignment)', () => {
    const { tree } = read(
      `path: /a
path: \${path}":/b"
env_path: \${?PATH}":/opt/bin"
list: [x]
list += y
fresh += z
`,
      { PATH: '/usr/bin' },
    );
    expect(tree).toEqual({ path: '/a:/b', env_path: '/usr/bin:/opt/bin', list: ['x', 'y'], fresh: ['z'] });
  });

  it('includes files relative to the including file, merged where the include stands', () => {
    writeFileSync(join(dir, 'agent-extra.conf'), 'debug: true\nworker_name: from-include\n');
    writeFileSync(join(dir, 'creds.conf'), 'api.credentials.access_key: AK\n');
    const { tree, origins } = read(`include "creds.conf"
agent {
  worker_name: before
  include file("agent-extra.conf")
}
include "missing-is-fine.conf"
`);
    expect(tree).toEqual({ api: { credentials: { access_key: 'AK' } }, agent: { worker_name: 'from-include', debug: true } });
    expect(origins.get(pathKey(['agent', 'debug']))).toEqual({ kind: 'file', file: join(dir, 'agent-extra.conf'), line: 1 });
  });

  it('fails on a missing required include and on an include cycle', () => {
    expect(readError('include required("nope.conf")\n').message).toMatch(/required include "nope.conf" not found/);
    writeFileSync(join(dir, 'a.conf'), 'include "b.conf"\n');
    writeFileSync(join(dir, 'b.conf'), 'include "a.conf"\n');
    expect(readError('include "a.conf"\n').message).toMatch(/include cycle/);
  });

  it('refuses to fetch configuration over the network', () => {
    expect(readError('include url("https://example.com/x.conf")\n').message).toMatch(/never downloaded/);
  });

  it('records the line of every key', () => {
    const { origins } = read(`api {
  api_server: http://h:8008

  credentials {
    access_key: "x"
  }
}
agent.venvs_cache.max_entries: 5
`);
    const line = (path: string[]) => {
      const origin = origins.get(pathKey(path));
      return origin?.kind === 'file' ? origin.line : undefined;
    };
    expect(line(['api', 'api_server'])).toBe(2);
    expect(line(['api', 'credentials', 'access_key'])).toBe(5);
    expect(line(['agent', 'venvs_cache', 'max_entries'])).toBe(8);
  });
});

describe('readHoconDocument errors name the file, line and key', () => {
  it.each([
    ['api {\n  api_server: http://h\n', 1, /missing "}" to close the object opened on line 1/],
    ['a: 1\n}\n', 2, /unexpected "}"/],
    ['agent {\n  venvs_cache {\n    max_entries 10\n  }\n}\n', 3, /expected ":", "=" or "\{" after the key, found the end of the line \(did you mean "max_entries: 10"\?\)/],
    ['a: "unterminated\nb: 2\n', 1, /quoted string is not closed/],
    ['a: [1, 2\nb: 3\n', 1, /missing "]" to close the list opened on line 1/],
    ['x: ${undefined.key}\n', 1, /cannot resolve \$\{undefined.key\}/],
    ['a: ${b}\nb: ${a}\n', 1, /cycle/],
  ])('%j → line %i', (text, line, message) => {
    const error = readError(text);
    expect(error.message).toMatch(message);
    expect(error.line).toBe(line);
    expect(error.file).toBe(join(dir, 'clearml.conf'));
    expect(error.message).toContain(`~/clearml.conf line ${line}`);
  });

  it('names the key whose value is broken', () => {
    const error = readError('agent {\n  package_manager {\n    extra_index_url: ["a", }\n  }\n}\n');
    expect(error.key).toBe('agent.package_manager.extra_index_url');
    expect(error.line).toBe(3);
  });
});

describe('readHoconValue (values of CLEARML_AGENT__ variables)', () => {
  const value = (text: string, env: Record<string, string> = {}) =>
    readHoconValue(text, { source: 'VAR', env, describe: () => 'environment variable VAR' });

  it('reads booleans, numbers, JSON lists, objects and unquoted strings', () => {
    expect(value('true')).toBe(true);
    expect(value('42')).toBe(42);
    expect(value('["--ipc=host","-v","/data:/data"]')).toEqual(['--ipc=host', '-v', '/data:/data']);
    expect(value('{ a: 1 }')).toEqual({ a: 1 });
    expect(value('http://h:8008')).toBe('http://h:8008');
    expect(value('abc')).toBe('abc');
    expect(value('')).toBe('');
    expect(value('${HOME}/x', { HOME: '/home/u' })).toBe('/home/u/x');
  });

  it('rejects text after the value', () => {
    expect(() => value('[1] ]')).toThrow(ConfigError);
  });
});
