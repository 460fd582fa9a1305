import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadAgentConfig, type LoadAgentConfigOptions } from '../../../src-main/engine/config/index.js';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cfg-home-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

/** A clearml.conf like the ones users have: web UI block, dotted keys written by `clearml-agent init`, sdk section. */
const REALISTIC_CLEARML_CONF = `# ClearML SDK configuration file
api {
    # Notice: 'host' is the api server (default port 8008), not the web server.
    api_server: http://127.0.0.1:8008
    web_server: http://127.0.0.1:8080
    files_server: http://127.0.0.1:8081
    # Credentials are generated using the webapp, http://127.0.0.1:8080/settings
    credentials {"access_key": "AKEXAMPLE0123456789", "secret_key": "SK-very-secret-value"}
    verify_certificate: True
}
agent.git_user="gituser"
agent.git_pass="ghp_exampletoken123"
agent.package_manager.extra_index_url= ["https://reader:idxpass99@pypi.internal/simple"]
agent {
    worker_id: ""
    worker_name: ""
    force_git_ssh_protocol: false
    package_manager: {
        type: pip,
        pip_version: ["<20.2 ; python_version < '3.10'", ">=23,<24.3 ; python_version >= '3.12'"],
        system_site_packages: false,
        force_upgrade: false,
        priority_packages: ["cython", "numpy", "setuptools", ]
    },
    venvs_dir = ~/.clearml/venvs-builds
    venvs_cache: {
        max_entries: 10
        free_space_threshold_gb: 2.0
        path: \${HOME}/.clearml/venvs-cache
    },
    vcs_cache: {
        enabled: true,
        path: ~/.clearml/vcs-cache
    },
    cuda_version: \${?CUDA_VERSION}
    reload_config: False
    default_docker: {
        image: "nvidia/cuda:11.0.3-cudnn8-runtime-ubuntu20.04"
        # arguments: ["--ipc=host", ]
    }
    docker_container_name_format: "clearml-id-{task_id}-{rand_string:.8}"
}
sdk {
    aws {
        s3 {
            key: "AWSKEYID"
            secret: "aws-secret-access-key-value"
        }
    }
    development { default_output_uri: "" }
}
environment {
    MY_FLAG: 1
    "MY.DOTTED": "x y"
}
files {
    fox { contents: "The quick brown fox", path: "~/out/fox.txt" }
}
include "local-overrides.conf"
`;

function writeHomeFile(name: string, text: string): string {
  const path = join(home, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function load(env: Record<string, string | undefined> = {}, options: Omit<LoadAgentConfigOptions, 'env' | 'homeDir'> = {}) {
  return loadAgentConfig({ homeDir: home, env: { HOME: home, ...env }, ...options });
}

async function loadError(env: Record<string, string | undefined> = {}, options: Omit<LoadAgentConfigOptions, 'env' | 'homeDir'> = {}) {
  try {
    await load(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadAgentConfig: sources', () => {
  it('uses built-in defaults when there is no file (caches shared with clearml-agent under ~/.clearml)', async () => {
    const { config, sourceFiles } = await load();
    expect(sourceFiles).toEqual([]);
    expect(config.api.apiServer).toBeNull();
    expect(config.api.credentials).toEqual({ accessKey: null, secretKey: null });
    expect(config.agent.workerName).toBe(hostname());
    expect(config.agent.venvsDir).toBe(join(home, '.clearml/venvs-builds'));
    expect(config.agent.venvsCache).toEqual({
      path: join(home, '.clearml/venvs-cache'),
      maxEntries: 10,
      freeSpaceThresholdGb: 2,
      lockTimeoutSec: 30,
    });
    expect(config.agent.vcsCache).toEqual({ enabled: true, path: join(home, '.clearml/vcs-cache'), cloneOnPullFail: false, maxEntries: 50 });
    expect(config.agent.pipDownloadCache.path).toBe(join(home, '.clearml/pip-download-cache'));
    expect(config.agent.packageManager.type).toBe('pip');
    expect(config.agent.packageManager.priorityPackages).toEqual(['cython', 'numpy', 'setuptools', 'pip', 'uv']);
    expect(config.agent.taskPingIntervalSec).toBe(60);
    expect(config.agent.suppressCarriageReturn).toBe(true);
    expect(config.agent.enableGitAskPass).toBe(true);
    expect(config.agent.applyEnvironment).toBe(true);
    expect(config.agent.abortPollIntervalSec).toBe(0.5);
    expect(config.agent.abortGraceSec).toBe(10);
    expect(config.agent.stateDir).toBe(join(home, '.tray-agent'));
    expect(config.agent.spoolDir).toBe(join(home, '.tray-agent/spool'));
    expect(config.agent.uptime).toBeNull();
  });

  it('reads a realistic ~/clearml.conf: dotted keys, substitutions, ${?ENV}, include, unknown sections kept', async () => {
    writeHomeFile('clearml.conf', REALISTIC_CLEARML_CONF);
    writeHomeFile('local-overrides.conf', 'agent.debug: true\nagent.venvs_cache.max_entries: 4\n');
    const { config, sourceFiles } = await load({ CUDA_VERSION: '12.1.1' });
    expect(sourceFiles).toEqual([join(home, 'clearml.conf')]);
    expect(config.api).toMatchObject({
      apiServer: 'http://127.0.0.1:8008',
      webServer: 'http://127.0.0.1:8080',
      filesServer: 'http://127.0.0.1:8081',
      credentials: { accessKey: 'AKEXAMPLE0123456789', secretKey: 'SK-very-secret-value' },
      verifyCertificate: true,
    });
    expect(config.agent).toMatchObject({
      gitUser: 'gituser',
      gitPass: 'ghp_exampletoken123',
      debug: true,
      cudaVersion: '121',
      reloadConfig: false,
      dockerContainerNameFormat: 'clearml-id-{task_id}-{rand_string:.8}',
    });
    expect(config.agent.packageManager.extraIndexUrl).toEqual(['https://reader:idxpass99@pypi.internal/simple']);
    expect(config.agent.packageManager.priorityPackages).toEqual(['cython', 'numpy', 'setuptools']);
    expect(config.agent.venvsCache).toMatchObject({ path: join(home, '.clearml/venvs-cache'), maxEntries: 4 });
    expect(config.environment).toEqual({ MY_FLAG: '1', 'MY.DOTTED': 'x y' });
    expect(config.files.fox).toMatchObject({ contents: 'The quick brown fox', path: '~/out/fox.txt', overwrite: true });
    expect(config.raw.sdk).toEqual({
      aws: { s3: { key: 'AWSKEYID', secret: 'aws-secret-access-key-value' } },
      development: { default_output_uri: '' },
    });
  });

  it('merges ~/trains.conf then ~/clearml.conf, clearml.conf winning', async () => {
    writeHomeFile('trains.conf', 'api.api_server: http://old:8008\nagent { worker_name: legacy, debug: true }\n');
    writeHomeFile('clearml.conf', 'api.api_server: http://new:8008\n');
    const { config, sourceFiles } = await load();
    expect(sourceFiles).toEqual([join(home, 'trains.conf'), join(home, 'clearml.conf')]);
    expect(config.api.apiServer).toBe('http://new:8008');
    expect(config.agent.workerName).toBe('legacy');
    expect(config.agent.debug).toBe(true);
  });

  it('reads only the file named by CLEARML_CONFIG_FILE (then TRAINS_CONFIG_FILE, then the option wins)', async () => {
    writeHomeFile('clearml.conf', 'agent.worker_name: from-home\nagent.debug: true\n');
    const named = writeHomeFile('elsewhere/agent.conf', 'agent.worker_name: from-env-file\n');
    const trains = writeHomeFile('elsewhere/trains.conf', 'agent.worker_name: from-trains-file\n');
    const option = writeHomeFile('elsewhere/option.conf', 'agent.worker_name: from-option\n');

    const viaEnv = await load({ CLEARML_CONFIG_FILE: named, TRAINS_CONFIG_FILE: trains });
    expect(viaEnv.sourceFiles).toEqual([named]);
    expect(viaEnv.config.agent.workerName).toBe('from-env-file');
    expect(viaEnv.config.agent.debug).toBe(false);

    expect((await load({ TRAINS_CONFIG_FILE: trains })).config.agent.workerName).toBe('from-trains-file');
    expect((await load({ CLEARML_CONFIG_FILE: named }, { configFile: option })).config.agent.workerName).toBe('from-option');
    expect((await load({ CLEARML_CONFIG_FILE: '~/elsewhere/agent.conf' })).sourceFiles).toEqual([named]);
  });

  it('fails naming an explicitly given file that does not exist', async () => {
    const error = await loadError({ CLEARML_CONFIG_FILE: join(home, 'nope.conf') });
    expect(error.message).toBe(
      'configuration file ~/nope.conf (given by CLEARML_CONFIG_FILE) does not exist; create it, or point CLEARML_CONFIG_FILE at an existing file',
    );
    expect(error.file).toBe(join(home, 'nope.conf'));
    expect((await loadError({}, { configFile: join(home, 'x.conf') })).message).toMatch(/given by --config-file/);
  });

  it('derives web and files servers from the API server, and api.host is an alias of api.api_server', async () => {
    writeHomeFile('clearml.conf', 'api.host: "https://api.clear.ml/"\n');
    const { config } = await load();
    expect(config.api).toMatchObject({
      apiServer: 'https://api.clear.ml',
      webServer: 'https://app.clear.ml',
      filesServer: 'https://files.clear.ml',
    });
    const local = await load({ CLEARML_API_HOST: 'http://10.1.2.3:8008' });
    expect(local.config.api).toMatchObject({ webServer: 'http://10.1.2.3:8080', filesServer: 'http://10.1.2.3:8081' });
  });

  it('puts the spool under a configured state_dir unless spool_dir is set', async () => {
    writeHomeFile('clearml.conf', 'agent.state_dir: /var/lib/tray\n');
    expect((await load()).config.agent.spoolDir).toBe('/var/lib/tray/spool');
    writeHomeFile('clearml.conf', 'agent { state_dir: /var/lib/tray, spool_dir: $HOME/spool }\n');
    expect((await load()).config.agent.spoolDir).toBe(join(home, 'spool'));
  });

  it('applies override layers (command-line flags, tray preferences) over everything, and names them in errors', async () => {
    const { config } = await load({ CLEARML_WORKER_NAME: 'env-name' }, {
      overrides: [
        { name: 'command-line flags', tree: { agent: { worker_name: 'flag-name', debug: true } } },
        { name: 'tray preferences', tree: { agent: { worker_name: 'pref-name' } } },
      ],
    });
    expect(config.agent.workerName).toBe('pref-name');
    expect(config.agent.debug).toBe(true);
    const error = await loadError({}, { overrides: [{ name: 'tray preferences', tree: { agent: { abort_grace_sec: 'soon' } } }] });
    expect(error.message).toBe('agent.abort_grace_sec: expected a number, got "soon" (tray preferences)');
  });
});

describe('loadAgentConfig: CLEARML_AGENT__ dynamic overrides (reference §2.3)', () => {
  it('turns every example of the reference into the documented key and type', async () => {
    const { config, environmentVariables } = await load({
      CLEARML_AGENT__AGENT__DOCKER_FORCE_PULL: 'true',
      CLEARML_AGENT__AGENT__EXTRA_DOCKER_ARGUMENTS: '["--ipc=host","-v","/data:/data"]',
      CLEARML_AGENT__SDK__AWS__S3__KEY: 'abc',
      CLEARML_AGENT__API__API_SERVER: 'http://h:8008',
    });
    expect(config.agent.dockerForcePull).toBe(true);
    expect(config.raw.agent).toMatchObject({ docker_force_pull: true });
    expect(config.agent.extraDockerArguments).toEqual(['--ipc=host', '-v', '/data:/data']);
    expect(config.raw.sdk).toEqual({ aws: { s3: { key: 'abc' } } });
    expect(config.api.apiServer).toBe('http://h:8008');
    expect(environmentVariables).toEqual([
      'CLEARML_AGENT__AGENT__DOCKER_FORCE_PULL',
      'CLEARML_AGENT__AGENT__EXTRA_DOCKER_ARGUMENTS',
      'CLEARML_AGENT__API__API_SERVER',
      'CLEARML_AGENT__SDK__AWS__S3__KEY',
    ]);
  });

  it('lower-cases the path, keeps single underscores, reads numbers and wins over the file', async () => {
    writeHomeFile('clearml.conf', 'agent.venvs_cache { max_entries: 3, path: /x }\n');
    const { config } = await load({ CLEARML_AGENT__Agent__VENVS_CACHE__MAX_ENTRIES: '25' });
    expect(config.agent.venvsCache.maxEntries).toBe(25);
    expect(config.agent.venvsCache.path).toBe('/x');
  });

  it('applies overrides in sorted order (a parent object first, then its keys)', async () => {
    const { config } = await load({
      CLEARML_AGENT__AGENT__PACKAGE_MANAGER__TYPE: 'uv',
      CLEARML_AGENT__AGENT__PACKAGE_MANAGER: '{ type: poetry, force_upgrade: true }',
    });
    expect(config.agent.packageManager.type).toBe('uv');
    expect(config.agent.packageManager.forceUpgrade).toBe(true);
  });

  it('keeps a # in a value (a password) instead of cutting it as a comment, and resolves ${HOME}', async () => {
    const { config } = await load({
      CLEARML_AGENT__AGENT__GIT_PASS: 'pa#ss word',
      CLEARML_AGENT__AGENT__VENVS_DIR: '${HOME}/venvs',
    });
    expect(config.agent.gitPass).toBe('pa#ss word');
    expect(config.agent.venvsDir).toBe(join(home, 'venvs'));
  });

  it('names the variable when its value has the wrong type or is broken HOCON', async () => {
    const wrong = await loadError({ CLEARML_AGENT__AGENT__VENVS_CACHE__MAX_ENTRIES: 'ten' });
    expect(wrong.message).toBe(
      'agent.venvs_cache.max_entries: expected a whole number, got "ten" (environment variable CLEARML_AGENT__AGENT__VENVS_CACHE__MAX_ENTRIES)',
    );
    expect(wrong.variable).toBe('CLEARML_AGENT__AGENT__VENVS_CACHE__MAX_ENTRIES');
    const broken = await loadError({ CLEARML_AGENT__AGENT__EXTRA_DOCKER_ARGUMENTS: '["--ipc=host", ' });
    expect(broken.message).toMatch(/environment variable CLEARML_AGENT__AGENT__EXTRA_DOCKER_ARGUMENTS/);
  });

  it('warns about a variable that names no key', async () => {
    const { warnings } = await load({ CLEARML_AGENT__: 'x', CLEARML_AGENT__AGENT____DEBUG: 'true' });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/ignored environment variable CLEARML_AGENT__/);
  });
});

describe('loadAgentConfig: fixed environment variables (reference §2.6, §2.7)', () => {
  beforeEach(() => {
    writeHomeFile(
      'clearml.conf',
      `api { api_server: http://file:8008, credentials { access_key: FILEKEY, secret_key: FILESECRET } }
agent { worker_id: file-id, worker_name: file-name, git_user: fileuser, git_pass: filepass, git_host: file.host }
agent.package_manager.extra_pip_install_flags: ["--from-file"]
agent.default_docker.image: file/image
`,
    );
  });

  it('win over the file', async () => {
    const { config } = await load({
      CLEARML_API_HOST: 'http://env:8008',
      CLEARML_WEB_HOST: 'http://env-web:8080',
      CLEARML_FILES_HOST: 's3://bucket/files',
      CLEARML_API_ACCESS_KEY: 'ENVKEY',
      CLEARML_API_SECRET_KEY: 'ENVSECRET',
      CLEARML_AUTH_TOKEN: 'bearer-token-value',
      CLEARML_WORKER_ID: 'env-id',
      CLEARML_WORKER_NAME: 'env-name',
      CLEARML_AGENT_GIT_USER: 'envuser',
      CLEARML_AGENT_GIT_PASS: 'envpass',
      CLEARML_AGENT_GIT_HOST: 'env.host',
      CLEARML_AGENT_SKIP_PIP_VENV_INSTALL: '/usr/bin/python3',
      CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL: '1',
      CLEARML_AGENT_VENV_CACHE_PATH: '~/venv-cache',
      CLEARML_EXTRA_PIP_INSTALL_FLAGS: '--no-cache-dir --trusted-host "my host"',
      CLEARML_AGENT_EXTRA_DOCKER_ARGS: '--ipc=host -e FOO=bar',
      CLEARML_DOCKER_IMAGE: 'python:3.11',
      CLEARML_CUDA_VERSION: '11.8',
      CLEARML_CUDNN_VERSION: '8.9',
      CLEARML_AGENT_ENABLE_ENV_CONFIG_SECTION: 'false',
      CLEARML_AGENT_ENABLE_FILES_CONFIG_SECTION: 'no',
      CLEARML_API_HOST_VERIFY_CERT: '0',
      CLEARML_AGENT_FORCE_UV: '1',
    });
    expect(config.api).toMatchObject({
      apiServer: 'http://env:8008',
      webServer: 'http://env-web:8080',
      filesServer: 's3://bucket/files',
      credentials: { accessKey: 'ENVKEY', secretKey: 'ENVSECRET' },
      authToken: 'bearer-token-value',
      verifyCertificate: false,
    });
    expect(config.agent).toMatchObject({
      workerId: 'env-id',
      workerName: 'env-name',
      gitUser: 'envuser',
      gitPass: 'envpass',
      gitHost: 'env.host',
      skipPipVenvInstall: '/usr/bin/python3',
      skipPythonEnvInstall: true,
      cudaVersion: '118',
      cudnnVersion: '89',
      applyEnvironment: false,
      applyFiles: false,
      extraDockerArguments: ['--ipc=host', '-e', 'FOO=bar'],
      defaultDocker: { image: 'python:3.11', arguments: null },
    });
    expect(config.agent.venvsCache.path).toBe(join(home, 'venv-cache'));
    expect(config.agent.packageManager.extraPipInstallFlags).toEqual(['--no-cache-dir', '--trusted-host', 'my host']);
    expect(config.agent.packageManager.type).toBe('uv');
  });

  it('win over CLEARML_AGENT__ overrides of the same key', async () => {
    const { config } = await load({ CLEARML_AGENT__API__API_SERVER: 'http://dynamic:8008', CLEARML_API_HOST: 'http://fixed:8008' });
    expect(config.api.apiServer).toBe('http://fixed:8008');
  });

  it('accept TRAINS_* aliases, the CLEARML_ name winning; empty values are ignored', async () => {
    const { config } = await load({
      TRAINS_API_HOST: 'http://trains:8008',
      TRAINS_WORKER_NAME: 'trains-name',
      CLEARML_WORKER_NAME: 'clearml-name',
      CLEARML_AGENT_GIT_USER: '',
      CUDA_VERSION: '12.4',
    });
    expect(config.api.apiServer).toBe('http://trains:8008');
    expect(config.agent.workerName).toBe('clearml-name');
    expect(config.agent.gitUser).toBe('fileuser');
    expect(config.agent.cudaVersion).toBe('124');
  });

  it('read a truthy CLEARML_AGENT_SKIP_PIP_VENV_INSTALL as "use the default interpreter"', async () => {
    expect((await load({ CLEARML_AGENT_SKIP_PIP_VENV_INSTALL: 'true' })).config.agent.skipPipVenvInstall).toBe(true);
    expect((await load({})).config.agent.skipPipVenvInstall).toBe(false);
  });

  it('reject a value that is not on/off, naming the variable', async () => {
    const error = await loadError({ CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL: 'maybe' });
    expect(error.message).toBe(
      'agent.skip_python_env_install: expected true or false, got "maybe" (environment variable CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL)',
    );
  });

  it('reject docker arguments with an unbalanced quote', async () => {
    const error = await loadError({ CLEARML_AGENT_EXTRA_DOCKER_ARGS: '--label "oops' });
    expect(error.message).toMatch(/CLEARML_AGENT_EXTRA_DOCKER_ARGS: a quote is not closed/);
  });
});

describe('loadAgentConfig: bad files fail with file, line and key', () => {
  it('syntax error → file and line', async () => {
    const file = writeHomeFile('clearml.conf', 'api {\n  api_server: http://h:8008\n  credentials {\n    access_key "x"\n  }\n}\n');
    const error = await loadError();
    expect(error.file).toBe(file);
    expect(error.line).toBe(4);
    expect(error.key).toBe('api.credentials.access_key');
    expect(error.message).toBe(
      `api.credentials.access_key: expected ":", "=" or "{" after the key, found '"' (missing ":" between the key and its value?) (~/clearml.conf line 4)`,
    );
  });

  it('wrong type → key, what is expected, what was found, file and line', async () => {
    const file = writeHomeFile(
      'clearml.conf',
      `agent {
  worker_name: box
  venvs_cache {
    path: ~/.clearml/venvs-cache
    max_entries: ten
  }
}
`,
    );
    const error = await loadError();
    expect(error.message).toBe('agent.venvs_cache.max_entries: expected a whole number, got "ten" (~/clearml.conf line 5)');
    expect(error).toMatchObject({ file, line: 5, key: 'agent.venvs_cache.max_entries' });
  });

  it('reports every wrong value at once', async () => {
    writeHomeFile(
      'clearml.conf',
      `api.api_server: "localhost:8008"
agent.package_manager.type: pipenv
agent.venvs_cache: 5
agent.package_manager.extra_index_url: ["https://a", { url: "b" }]
environment { NESTED { A: 1 } }
agent.force_git_ssh_port: 70000
`,
    );
    const error = await loadError();
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('6 problems in the configuration:');
    expect(lines.slice(1).map((line) => line.trim())).toEqual([
      'api.api_server: expected an http:// or https:// URL, got "localhost:8008" (~/clearml.conf line 1)',
      'agent.force_git_ssh_port: expected a whole number of at most 65535, got 70000 (~/clearml.conf line 6)',
      'agent.package_manager.type: expected one of pip, uv, poetry, conda, got "pipenv" (~/clearml.conf line 2)',
      'agent.package_manager.extra_index_url[1]: expected a string, got an object (~/clearml.conf line 4)',
      'agent.venvs_cache: expected an object { ... }, got 5 (~/clearml.conf line 3)',
      'environment.NESTED: expected a string, number or boolean (quote keys that contain dots: "MY.VAR": value), got an object (~/clearml.conf line 5)',
    ]);
  });

  it('accepts what clearml-agent accepts: numbers as text, yes/no, a single string for a list, null for "unset"', async () => {
    writeHomeFile(
      'clearml.conf',
      `agent {
  task_ping_interval_sec: "30"
  reload_config: yes
  package_manager.extra_index_url: "https://only/simple"
  uptime: "9-17 mon-fri"
  venvs_dir: null
  git_pass: 12345
  cuda_version: 12.0
}
`,
    );
    const { config } = await load();
    expect(config.agent.taskPingIntervalSec).toBe(30);
    expect(config.agent.reloadConfig).toBe(true);
    expect(config.agent.packageManager.extraIndexUrl).toEqual(['https://only/simple']);
    expect(config.agent.uptime).toEqual(['9-17 mon-fri']);
    expect(config.agent.venvsDir).toBe(join(home, '.clearml/venvs-builds'));
    expect(config.agent.gitPass).toBe('12345');
    expect(config.agent.cudaVersion).toBe('120');
  });

  it('disables the venv cache when its path is empty', async () => {
    writeHomeFile('clearml.conf', 'agent.venvs_cache.path: ""\n');
    expect((await load()).config.agent.venvsCache.path).toBeNull();
  });

  it('names an unreadable file', async () => {
    mkdirSync(join(home, 'clearml.conf'));
    const dir = join(home, 'clearml.conf');
    const error = await loadError({ CLEARML_CONFIG_FILE: dir });
    expect(error.message).toMatch(/~\/clearml\.conf .*does not exist/);
  });
});
