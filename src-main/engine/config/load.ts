import { readFileSync, statSync } from 'node:fs';
import { hostname, homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { dynamicOverrideLayer, fixedEnvLayer, type EnvMap } from './env-layers.js';
import { ConfigError, describeOrigin, displayPath, originDetails, type Origin } from './errors.js';
import { expandHome } from './expand.js';
import { readHoconDocument } from './hocon/index.js';
import { agentConfigSchema, type ParsedAgentConfig } from './schema.js';
import { defaultsTreeOf } from './defaults.js';
import {
  dottedKey,
  findOrigin,
  getPath,
  isConfigTree,
  mergeLayers,
  pathKey,
  setPath,
  type ConfigLayer,
  type ConfigTree,
  type ConfigValue,
  type OriginMap,
} from './tree.js';

/** The whole resolved configuration: typed values (camelCase) plus the merged file tree as read. */
export type AgentConfig = ParsedAgentConfig & {
  /** Every key of every layer, snake_case as in clearml.conf, including sections we do not read (sdk {...}). */
  raw: ConfigTree;
};

export interface ConfigOverrideLayer {
  /** Names the layer in errors, e.g. "command-line flag --gpus" or "tray preferences". */
  name: string;
  /** snake_case keys, like clearml.conf. */
  tree: ConfigTree;
}

export interface LoadAgentConfigOptions {
  /** `--config-file`: read only this file (it must exist). Else CLEARML_CONFIG_FILE, TRAINS_CONFIG_FILE. */
  configFile?: string;
  /** Environment to read CLEARML_* variables and `${?VAR}` substitutions from (default process.env). */
  env?: EnvMap;
  /** Home folder for `~` and the default file locations (default os.homedir()). */
  homeDir?: string;
  /** Layers over the environment, later wins: command-line flags, then tray preferences. */
  overrides?: ConfigOverrideLayer[];
}

export interface LoadedAgentConfig {
  config: AgentConfig;
  /** Files read, in merge order (later wins). Empty when built-in defaults apply. */
  sourceFiles: string[];
  /** Environment variables that set a key (fixed CLEARML_* and CLEARML_AGENT__* overrides). */
  environmentVariables: string[];
  /** Things the user may want to know but that do not stop the agent. */
  warnings: string[];
}

/**
 * Reads the configuration in clearml-agent's order (later wins): built-in defaults ← clearml.conf
 * (or trains.conf + clearml.conf, or the one file named by --config-file / CLEARML_CONFIG_FILE)
 * ← CLEARML_AGENT__* overrides ← fixed CLEARML_* variables ← `overrides`. A bad file or value
 * throws ConfigError naming the file, line and key.
 */
export async function loadAgentConfig(options: LoadAgentConfigOptions = {}): Promise<LoadedAgentConfig> {
  const env = options.env ?? process.env;
  const homeDir = options.homeDir ?? homedir();
  const describe = (origin: Origin) => describeOrigin(origin, homeDir);

  const sourceFiles = configFilesToRead(options.configFile, env, homeDir);
  const schema = schemaFor(homeDir, env);
  // The built-in defaults layer is what the schema's fields declare (see defaults.ts).
  const layers: ConfigLayer[] = [{ tree: defaultsTreeOf(schema), origins: new Map() }];
  for (const file of sourceFiles) {
    layers.push(readHoconDocument(readConfigFile(file, homeDir), { file, env, readFile: readIncludedFile, describe }));
  }
  const dynamic = dynamicOverrideLayer(env, homeDir);
  layers.push(dynamic.layer, fixedEnvLayer(env));
  for (const override of options.overrides ?? []) layers.push(overrideLayer(override));

  const merged = mergeLayers(layers);
  fillDerivedValues(merged.tree);

  const result = schema.safeParse(merged.tree);
  if (!result.success) throw configErrorFromIssues(result.error.issues, merged.origins, describe);

  const environmentVariables = [...new Set([...merged.origins.values()].flatMap((origin) => (origin.kind === 'env' ? [origin.variable] : [])))].sort();
  return {
    config: { ...result.data, raw: merged.tree },
    sourceFiles,
    environmentVariables,
    warnings: dynamic.warnings,
  };
}

let cachedSchema: { homeDir: string; env: EnvMap; schema: ReturnType<typeof agentConfigSchema> } | null = null;

/**
 * Building the schema costs a few milliseconds; the daemon reloads with the same home and env
 * object (process.env) every polling cycle. Paths read `env` when a value is parsed, so a cached
 * schema still sees the variables as they are now.
 */
function schemaFor(homeDir: string, env: EnvMap): ReturnType<typeof agentConfigSchema> {
  if (cachedSchema?.homeDir !== homeDir || cachedSchema.env !== env) {
    cachedSchema = { homeDir, env, schema: agentConfigSchema({ homeDir, env }) };
  }
  return cachedSchema.schema;
}

function explicitConfigFile(configFile: string | undefined, env: EnvMap): { path: string; via: string } | null {
  if (configFile) return { path: configFile, via: '--config-file' };
  for (const variable of ['CLEARML_CONFIG_FILE', 'TRAINS_CONFIG_FILE']) {
    const value = env[variable]?.trim();
    if (value) return { path: value, via: variable };
  }
  return null;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The files clearml-agent would read, in merge order. */
export function configFilesToRead(configFile: string | undefined, env: EnvMap, homeDir: string): string[] {
  const explicit = explicitConfigFile(configFile, env);
  if (explicit) {
    const path = resolvePath(expandHome(explicit.path, homeDir));
    if (!isFile(path)) {
      throw new ConfigError(
        `configuration file ${displayPath(path, homeDir)} (given by ${explicit.via}) does not exist; ` +
          `create it, or point ${explicit.via} at an existing file`,
        { file: path },
      );
    }
    return [path];
  }
  return [join(homeDir, 'trains.conf'), join(homeDir, 'clearml.conf')].filter(isFile);
}

function readConfigFile(file: string, homeDir: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`cannot read configuration file ${displayPath(file, homeDir)} (${code}); check its permissions`, {
      file,
    });
  }
}

function readIncludedFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw new ConfigError(`cannot read included file ${path} (${code ?? String(error)})`, { file: path });
  }
}

function overrideLayer(override: ConfigOverrideLayer): ConfigLayer {
  const origins: OriginMap = new Map();
  const origin: Origin = { kind: 'layer', name: override.name };
  const visit = (value: ConfigValue, path: string[]) => {
    if (path.length) origins.set(pathKey(path), origin);
    if (isConfigTree(value)) for (const [key, child] of Object.entries(value)) visit(child, [...path, key]);
  };
  visit(override.tree, []);
  return { tree: override.tree, origins };
}

function isUnset(value: ConfigValue | undefined): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * Server URLs clearml-agent derives from the API server: api.→app./files., port 8008→8080/8081.
 * Null when the API server is not an http(s) URL (its own validation reports that).
 */
export function deriveServerUrl(apiServer: string, kind: 'web' | 'files'): string | null {
  let url: URL;
  try {
    url = new URL(apiServer);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const hostPrefix = kind === 'web' ? { 'api.': 'app.', 'demoapi.': 'demoapp.' } : { 'api.': 'files.', 'demoapi.': 'demofiles.' };
  for (const [from, to] of Object.entries(hostPrefix)) {
    if (url.hostname.startsWith(from)) url.hostname = `${to}${url.hostname.slice(from.length)}`;
  }
  if (url.port === '8008') url.port = kind === 'web' ? '8080' : '8081';
  return url.toString().replace(/\/+$/, '');
}

/** Values clearml-agent fills in after loading when the configuration leaves them empty. */
function fillDerivedValues(tree: ConfigTree): void {
  const host = getPath(tree, ['api', 'host']);
  if (isUnset(getPath(tree, ['api', 'api_server'])) && typeof host === 'string' && host !== '') {
    setPath(tree, ['api', 'api_server'], host);
  }
  const apiServer = getPath(tree, ['api', 'api_server']);
  if (typeof apiServer === 'string' && apiServer !== '') {
    for (const kind of ['web', 'files'] as const) {
      const derived = deriveServerUrl(apiServer, kind);
      if (derived !== null && isUnset(getPath(tree, ['api', `${kind}_server`]))) setPath(tree, ['api', `${kind}_server`], derived);
    }
  }
  if (isUnset(getPath(tree, ['agent', 'worker_name']))) setPath(tree, ['agent', 'worker_name'], hostname());
  const stateDir = getPath(tree, ['agent', 'state_dir']);
  if (isUnset(getPath(tree, ['agent', 'spool_dir'])) && typeof stateDir === 'string' && stateDir !== '') {
    setPath(tree, ['agent', 'spool_dir'], `${stateDir.replace(/\/+$/, '')}/spool`);
  }
}

interface SchemaIssue {
  path: PropertyKey[];
  message: string;
}

function configErrorFromIssues(issues: readonly SchemaIssue[], origins: OriginMap, describe: (origin: Origin) => string): ConfigError {
  const described = issues.map((issue) => {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    const origin = findOrigin(origins, path);
    const key = dottedKey(path);
    return { key, origin, text: `${key}: ${issue.message}${origin ? ` (${describe(origin)})` : ''}` };
  });
  const first = described[0];
  const message =
    described.length === 1
      ? (first?.text ?? 'invalid configuration')
      : `${described.length} problems in the configuration:\n  ${described.map((item) => item.text).join('\n  ')}`;
  return new ConfigError(message, { ...originDetails(first?.origin), key: first?.key });
}
