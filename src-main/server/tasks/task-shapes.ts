import { versionBelow, type ApiVersion } from '../api-version.js';
import type { JsonObject } from '../http/request-params.js';
import { withTaskDefaults } from './task-defaults.js';
import { HIDDEN_TASK_FIELDS, type ConfigurationItem, type ParamItem, type TaskDoc } from './task-document.js';

/**
 * Version-dependent task shapes (§1.2). We store the newest layout and render older ones on
 * the way out: < 2.13 gets `execution.docker_cmd` (from `container`), `execution.model` and
 * `output.model`; < 2.9 gets legacy `execution.parameters`/`model_desc`; < 2.3 sees
 * system tags inside `tags`. Writes in the legacy layout are folded back by
 * `normalizeLegacyTaskFields`. Every answer carries ClearML's default sub-documents.
 */
export function renderTask(stored: TaskDoc, version: ApiVersion): JsonObject {
  const doc = withTaskDefaults({ ...stored });
  const rendered: JsonObject = { ...doc };
  for (const field of HIDDEN_TASK_FIELDS) delete rendered[field];
  if (!versionBelow(version, '2.13')) return rendered;

  const execution: JsonObject = { ...(doc.execution ?? {}) };
  const container = doc.container ?? {};
  if (container.image) {
    execution.docker_cmd = [container.image, container.arguments ?? ''].filter((part) => part.trim() !== '').join(' ');
  }
  const inputModel = doc.models?.input?.[0]?.model;
  if (typeof inputModel === 'string') execution.model = inputModel;
  const outputModel = doc.models?.output?.at(-1)?.model;
  if (typeof outputModel === 'string') rendered.output = { ...(doc.output ?? {}), model: outputModel };

  if (versionBelow(version, '2.9')) {
    const parameters: Record<string, string> = {};
    for (const [section, items] of Object.entries(doc.hyperparams ?? {})) {
      for (const item of Object.values(items)) {
        if (item.type !== 'legacy') continue;
        parameters[section === 'Args' ? item.name : `${section}/${item.name}`] = item.value;
      }
    }
    execution.parameters = parameters;
    const modelDesc: Record<string, string> = {};
    for (const item of Object.values(doc.configuration ?? {})) {
      if (item.type === 'legacy') modelDesc[item.name] = item.value;
    }
    if (Object.keys(modelDesc).length > 0) execution.model_desc = modelDesc;
  }
  if (versionBelow(version, '2.3')) {
    rendered.tags = [...new Set([...(doc.tags ?? []), ...(doc.system_tags ?? [])])];
  }
  rendered.execution = execution;
  return rendered;
}

/** `image arg arg...` → container fields, the way ClearML splits a legacy docker_cmd. */
export function containerFromDockerCmd(dockerCmd: string): Record<string, string> {
  const trimmed = dockerCmd.trim();
  if (!trimmed) return {};
  const space = trimmed.search(/\s/);
  if (space < 0) return { image: trimmed, arguments: '' };
  return { image: trimmed.slice(0, space), arguments: trimmed.slice(space + 1).trim() };
}

function legacyParamItem(key: string, value: unknown): ParamItem {
  const slash = key.indexOf('/');
  const section = slash > 0 ? key.slice(0, slash) : 'Args';
  const name = slash > 0 ? key.slice(slash + 1) : key;
  return { section, name, value: typeof value === 'string' ? value : JSON.stringify(value), type: 'legacy' };
}

export interface LegacyFolded {
  execution?: JsonObject;
  container?: Record<string, string>;
  /** legacy-typed hyperparams that replace the task's existing legacy ones */
  legacyHyperparams?: ParamItem[];
  /** legacy-typed configuration items that replace the existing legacy ones */
  legacyConfiguration?: ConfigurationItem[];
}

/**
 * Splits legacy keys out of an incoming `execution` (`docker_cmd`, `parameters`,
 * `model_desc`) into the fields that hold them now.
 */
export function normalizeLegacyTaskFields(execution: JsonObject | undefined): LegacyFolded {
  if (!execution) return {};
  const rest: JsonObject = { ...execution };
  const folded: LegacyFolded = {};
  if (typeof rest.docker_cmd === 'string') folded.container = containerFromDockerCmd(rest.docker_cmd);
  delete rest.docker_cmd;
  if (rest.parameters && typeof rest.parameters === 'object' && !Array.isArray(rest.parameters)) {
    folded.legacyHyperparams = Object.entries(rest.parameters as JsonObject).map(([key, value]) => legacyParamItem(key, value));
  }
  delete rest.parameters;
  if (rest.model_desc && typeof rest.model_desc === 'object' && !Array.isArray(rest.model_desc)) {
    folded.legacyConfiguration = Object.entries(rest.model_desc as JsonObject).map(([name, value]) => ({
      name,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      type: 'legacy',
    }));
  }
  delete rest.model_desc;
  folded.execution = rest;
  return folded;
}

/** Replaces the legacy-typed items of `hyperparams` with `items`. */
export function withLegacyHyperparams(
  hyperparams: TaskDoc['hyperparams'],
  items: readonly ParamItem[],
): TaskDoc['hyperparams'] {
  const result: TaskDoc['hyperparams'] = {};
  for (const [section, params] of Object.entries(hyperparams)) {
    const kept = Object.fromEntries(Object.entries(params).filter(([, item]) => item.type !== 'legacy'));
    if (Object.keys(kept).length > 0) defineOwn(result, section, kept);
  }
  for (const item of items) {
    const section = Object.hasOwn(result, item.section) ? (result[item.section] as Record<string, ParamItem>) : {};
    defineOwn(section, item.name, item);
    defineOwn(result, item.section, section);
  }
  return result;
}

export function withLegacyConfiguration(
  configuration: TaskDoc['configuration'],
  items: readonly ConfigurationItem[],
): TaskDoc['configuration'] {
  const result: TaskDoc['configuration'] = {};
  for (const [name, item] of Object.entries(configuration)) if (item.type !== 'legacy') defineOwn(result, name, item);
  for (const item of items) defineOwn(result, item.name, item);
  return result;
}

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
