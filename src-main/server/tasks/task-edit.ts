import type { z } from 'zod';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { ConfigurationItem, ParamItem, TaskDoc } from './task-document.js';
import {
  normalizeLegacyTaskFields,
  withLegacyConfiguration,
  withLegacyHyperparams,
} from './task-shapes.js';
import type { configurationSchema, hyperparamsSchema, taskFieldsSchema } from './task-schemas.js';

type FieldSchemas = typeof taskFieldsSchema;
/** Optional task fields as validated from a create/edit request. */
export type TaskFieldsInput = {
  [K in keyof FieldSchemas]?: z.output<FieldSchemas[K]>;
};

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Fills each item's section/name from its keys; empty names are a 400/12, as in ClearML. */
export function normalizeHyperparams(input: z.output<typeof hyperparamsSchema>): TaskDoc['hyperparams'] {
  const result: TaskDoc['hyperparams'] = {};
  for (const [section, items] of Object.entries(input)) {
    if (section.trim() === '') throw apiError('validation_error', 'hyperparameter section names must not be empty');
    const normalized: Record<string, ParamItem> = {};
    for (const [name, item] of Object.entries(items)) {
      if (name.trim() === '') throw apiError('validation_error', `empty hyperparameter name in section ${section}`);
      const param: ParamItem = { section, name, value: item.value ?? '' };
      if (item.type !== undefined) param.type = item.type;
      if (item.description !== undefined) param.description = item.description;
      defineOwn(normalized, name, param);
    }
    defineOwn(result, section, normalized);
  }
  return result;
}

export function normalizeConfiguration(input: z.output<typeof configurationSchema>): TaskDoc['configuration'] {
  const result: TaskDoc['configuration'] = {};
  for (const [name, item] of Object.entries(input)) {
    if (name.trim() === '') throw apiError('validation_error', 'configuration names must not be empty');
    const entry: ConfigurationItem = { name, value: item.value ?? '' };
    if (item.type !== undefined) entry.type = item.type;
    if (item.description !== undefined) entry.description = item.description;
    defineOwn(result, name, entry);
  }
  return result;
}

/** One-level merge ClearML applies to embedded documents on edit (script, execution...). */
function mergeOneLevel(current: JsonObject | undefined, update: JsonObject): JsonObject {
  const merged: JsonObject = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(update)) defineOwn(merged, key, value);
  return merged;
}

/**
 * Applies create/edit fields to `task` with tasks.edit's rules: script, execution, output
 * and models merge one level deep; hyperparams, configuration, container and runtime are
 * replaced whole; legacy execution keys fold into their modern fields; `output_dest` becomes
 * `output.destination`. Returns the fields
 * set, keyed as ClearML reports them.
 */
export function applyTaskFields(task: TaskDoc, input: TaskFieldsInput): JsonObject {
  const fields: JsonObject = {};
  const set = (key: string, value: unknown) => {
    defineOwn(task, key, value);
    defineOwn(fields, key, value);
  };
  for (const key of ['name', 'type', 'comment', 'tags', 'system_tags', 'parent', 'project'] as const) {
    if (input[key] !== undefined) set(key, input[key]);
  }
  // ClearML stores tasks.create/edit's `output_dest` as `output.destination`.
  if (input.output_dest !== undefined) {
    task.output = { ...task.output, destination: input.output_dest };
    delete task.output_dest;
    defineOwn(fields, 'output.destination', input.output_dest);
  }
  if (input.script !== undefined) set('script', mergeOneLevel(task.script, input.script));
  if (input.models !== undefined) set('models', mergeOneLevel(task.models as JsonObject | undefined, input.models));
  if (input.output !== undefined) set('output', mergeOneLevel(task.output, input.output));
  if (input.runtime !== undefined) set('runtime', input.runtime);
  if (input.hyperparams !== undefined) set('hyperparams', normalizeHyperparams(input.hyperparams));
  if (input.configuration !== undefined) set('configuration', normalizeConfiguration(input.configuration));
  if (input.container !== undefined) set('container', input.container);
  if (input.execution !== undefined) {
    const legacy = normalizeLegacyTaskFields(input.execution as JsonObject);
    set('execution', mergeOneLevel(task.execution, legacy.execution ?? {}));
    if (legacy.container && input.container === undefined) set('container', legacy.container);
    if (legacy.legacyHyperparams) set('hyperparams', withLegacyHyperparams(task.hyperparams, legacy.legacyHyperparams));
    if (legacy.legacyConfiguration) {
      set('configuration', withLegacyConfiguration(task.configuration, legacy.legacyConfiguration));
    }
  }
  return fields;
}

/** ClearML's name rule for tasks (and queues/projects): at least 3 characters. */
export function checkTaskName(name: string): void {
  if (name.trim().length < 3) throw apiError('data_validation_error', 'task name must be at least 3 characters', { name });
}
