import { ConfigError, describeOrigin, type Origin } from './errors.js';
import { readHoconValue } from './hocon/index.js';
import { splitShellWords } from './shell-words.js';
import { pathKey, setPath, type ConfigLayer, type ConfigValue } from './tree.js';

export type EnvMap = Record<string, string | undefined>;

export const DYNAMIC_OVERRIDE_PREFIX = 'CLEARML_AGENT__';

/**
 * `CLEARML_AGENT__AGENT__DOCKER_FORCE_PULL=true` → `agent.docker_force_pull: true`: strip the
 * prefix, `__` → `.`, lower-case the path, read the value as HOCON. Applied in sorted name order,
 * as clearml-agent does.
 */
export function dynamicOverrideLayer(env: EnvMap, homeDir: string): { layer: ConfigLayer; warnings: string[] } {
  const layer: ConfigLayer = { tree: {}, origins: new Map() };
  const warnings: string[] = [];
  const names = Object.keys(env)
    .filter((name) => name.startsWith(DYNAMIC_OVERRIDE_PREFIX) && env[name] !== undefined)
    .sort();
  for (const name of names) {
    const path = name.slice(DYNAMIC_OVERRIDE_PREFIX.length).replaceAll('__', '.').toLowerCase().split('.');
    if (path.some((segment) => segment === '')) {
      warnings.push(`ignored environment variable ${name}: it names no configuration key (empty segment in "${path.join('.')}")`);
      continue;
    }
    const value = readOverrideValue(env[name] as string, name, env, homeDir);
    if (value === undefined) continue;
    setPath(layer.tree, path, value);
    layer.origins.set(pathKey(path), { kind: 'env', variable: name });
  }
  return { layer, warnings };
}

function readOverrideValue(text: string, variable: string, env: EnvMap, homeDir: string): ConfigValue | undefined {
  const origin: Origin = { kind: 'env', variable };
  const trimmed = text.trim();
  // HOCON would cut `pa#ss` at the comment; a secret in an env var means exactly what it says.
  if (!/^["[{]/.test(trimmed) && /#|(^|\s)\/\//.test(trimmed)) return trimmed;
  try {
    return readHoconValue(text, { source: variable, env, describe: () => describeOrigin(origin, homeDir) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (/^[[{]/.test(trimmed)) throw new ConfigError(error.message, { variable });
    // Not HOCON (e.g. `a}b`): take the text as a plain string rather than refuse to start.
    return trimmed;
  }
}

type FixedKind =
  | { type: 'string' }
  | { type: 'bool' }
  | { type: 'words' }
  | { type: 'flag'; value: string };

interface FixedMapping {
  /** First set, non-empty name wins: the CLEARML_ name, then its legacy aliases. */
  names: string[];
  path: string[];
  kind: FixedKind;
}

const STRING: FixedKind = { type: 'string' };
const BOOL: FixedKind = { type: 'bool' };
const WORDS: FixedKind = { type: 'words' };

function withTrainsAlias(name: string): string[] {
  return [name, name.replace(/^CLEARML_/, 'TRAINS_')];
}

/** Every fixed environment variable we read, and the key it sets (documented in docs/configuration.md). */
export const FIXED_ENV_MAPPINGS: readonly FixedMapping[] = [
  { names: withTrainsAlias('CLEARML_API_HOST'), path: ['api', 'api_server'], kind: STRING },
  { names: withTrainsAlias('CLEARML_WEB_HOST'), path: ['api', 'web_server'], kind: STRING },
  { names: withTrainsAlias('CLEARML_FILES_HOST'), path: ['api', 'files_server'], kind: STRING },
  { names: withTrainsAlias('CLEARML_API_ACCESS_KEY'), path: ['api', 'credentials', 'access_key'], kind: STRING },
  { names: withTrainsAlias('CLEARML_API_SECRET_KEY'), path: ['api', 'credentials', 'secret_key'], kind: STRING },
  { names: withTrainsAlias('CLEARML_AUTH_TOKEN'), path: ['api', 'auth_token'], kind: STRING },
  { names: withTrainsAlias('CLEARML_API_HOST_VERIFY_CERT'), path: ['api', 'verify_certificate'], kind: BOOL },
  { names: withTrainsAlias('CLEARML_API_DEFAULT_REQ_METHOD'), path: ['api', 'http', 'default_method'], kind: STRING },
  { names: withTrainsAlias('CLEARML_WORKER_ID'), path: ['agent', 'worker_id'], kind: STRING },
  { names: withTrainsAlias('CLEARML_WORKER_NAME'), path: ['agent', 'worker_name'], kind: STRING },
  { names: withTrainsAlias('CLEARML_AGENT_GIT_USER'), path: ['agent', 'git_user'], kind: STRING },
  { names: withTrainsAlias('CLEARML_AGENT_GIT_PASS'), path: ['agent', 'git_pass'], kind: STRING },
  { names: withTrainsAlias('CLEARML_AGENT_GIT_HOST'), path: ['agent', 'git_host'], kind: STRING },
  { names: withTrainsAlias('CLEARML_AGENT_SKIP_PIP_VENV_INSTALL'), path: ['agent', 'skip_pip_venv_install'], kind: STRING },
  { names: withTrainsAlias('CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL'), path: ['agent', 'skip_python_env_install'], kind: BOOL },
  { names: withTrainsAlias('CLEARML_AGENT_VENV_CACHE_PATH'), path: ['agent', 'venvs_cache', 'path'], kind: STRING },
  { names: withTrainsAlias('CLEARML_EXTRA_PIP_INSTALL_FLAGS'), path: ['agent', 'package_manager', 'extra_pip_install_flags'], kind: WORDS },
  { names: withTrainsAlias('CLEARML_AGENT_PACKAGE_PYTORCH_RESOLVE'), path: ['agent', 'package_manager', 'pytorch_resolve'], kind: STRING },
  { names: ['CLEARML_AGENT_FORCE_UV'], path: ['agent', 'package_manager', 'type'], kind: { type: 'flag', value: 'uv' } },
  { names: ['CLEARML_AGENT_FORCE_POETRY'], path: ['agent', 'package_manager', 'type'], kind: { type: 'flag', value: 'poetry' } },
  { names: withTrainsAlias('CLEARML_USE_CONDA_BASE_ENV'), path: ['agent', 'package_manager', 'use_conda_base_env'], kind: BOOL },
  { names: withTrainsAlias('CLEARML_AGENT_CUSTOM_BUILD_SCRIPT'), path: ['agent', 'custom_build_script'], kind: STRING },
  { names: withTrainsAlias('CLEARML_CUDA_VERSION').concat('CUDA_VERSION'), path: ['agent', 'cuda_version'], kind: STRING },
  { names: withTrainsAlias('CLEARML_CUDNN_VERSION').concat('CUDNN_VERSION'), path: ['agent', 'cudnn_version'], kind: STRING },
  { names: withTrainsAlias('CLEARML_AGENT_ENABLE_ENV_CONFIG_SECTION'), path: ['agent', 'apply_environment'], kind: BOOL },
  { names: withTrainsAlias('CLEARML_AGENT_ENABLE_FILES_CONFIG_SECTION'), path: ['agent', 'apply_files'], kind: BOOL },
  { names: withTrainsAlias('CLEARML_AGENT_DISABLE_SSH_MOUNT'), path: ['agent', 'disable_ssh_mount'], kind: BOOL },
  { names: withTrainsAlias('CLEARML_DOCKER_IMAGE'), path: ['agent', 'default_docker', 'image'], kind: STRING },
  { names: withTrainsAlias('CLEARML_AGENT_EXTRA_DOCKER_ARGS'), path: ['agent', 'extra_docker_arguments'], kind: WORDS },
  { names: withTrainsAlias('CLEARML_AGENT_DOCKER_ARGS_FILTERS'), path: ['agent', 'docker_args_filters'], kind: WORDS },
];

const TRUE_WORDS = /^(1|true|yes|y|on)$/i;
const FALSE_WORDS = /^(0|false|no|n|off)$/i;

/** Parses an on/off environment value; anything else is returned as is for the schema to reject. */
export function parseEnvBoolean(text: string): boolean | string {
  const trimmed = text.trim();
  if (TRUE_WORDS.test(trimmed)) return true;
  if (FALSE_WORDS.test(trimmed)) return false;
  return trimmed;
}

/** The fixed `CLEARML_*` variables (and their `TRAINS_*` aliases): they win over the files. */
export function fixedEnvLayer(env: EnvMap): ConfigLayer {
  const layer: ConfigLayer = { tree: {}, origins: new Map() };
  for (const mapping of FIXED_ENV_MAPPINGS) {
    const variable = mapping.names.find((name) => (env[name] ?? '').trim() !== '');
    if (variable === undefined) continue;
    const text = env[variable] as string;
    let value: ConfigValue;
    switch (mapping.kind.type) {
      case 'string':
        value = text.trim();
        break;
      case 'bool':
        value = parseEnvBoolean(text);
        break;
      case 'words': {
        const words = splitShellWords(text);
        if (words === null) {
          throw new ConfigError(`environment variable ${variable}: a quote is not closed in ${JSON.stringify(text)}`, {
            variable,
          });
        }
        value = words;
        break;
      }
      case 'flag':
        if (parseEnvBoolean(text) !== true) continue;
        value = mapping.kind.value;
        break;
    }
    setPath(layer.tree, mapping.path, value);
    layer.origins.set(pathKey(mapping.path), { kind: 'env', variable });
  }
  return layer;
}
