import type { JsonObject } from '../http/request-params.js';
import type { TaskDoc } from './task-document.js';

/**
 * The sub-documents ClearML's server always returns, filled in where a task lacks them (tasks
 * created before we stored them, or sub-documents given partly). The SDK relies on them:
 * `output.destination` for every upload, `models` for task reuse and `task.models`,
 * `last_metrics` for `get_last_scalar_metrics()`.
 */
const SCRIPT_DEFAULTS = { binary: 'python', repository: '', entry_point: '' };
const EXECUTION_DEFAULTS = { artifacts: [], model_labels: {}, test_split: 0 };

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `defaults` under `value`: keys the value has win. */
function filled(value: unknown, defaults: JsonObject): JsonObject {
  return { ...structuredClone(defaults), ...(isObject(value) ? value : {}) };
}

/** Returns `doc` with every default sub-document present (mutates and returns `doc`). */
export function withTaskDefaults(doc: TaskDoc): TaskDoc {
  doc.script = filled(doc.script, SCRIPT_DEFAULTS);
  doc.execution = filled(doc.execution, EXECUTION_DEFAULTS);
  const models = isObject(doc.models) ? doc.models : {};
  doc.models = { ...models, input: Array.isArray(models.input) ? models.input : [], output: Array.isArray(models.output) ? models.output : [] };
  const output: JsonObject = isObject(doc.output) ? { ...doc.output } : {};
  // Older stores kept tasks.create's `output_dest` at the top; ClearML keeps it here.
  if (typeof doc.output_dest === 'string' && output.destination === undefined) output.destination = doc.output_dest;
  delete doc.output_dest;
  doc.output = output;
  if (!isObject(doc.last_metrics)) doc.last_metrics = {};
  if (!isObject(doc.runtime)) doc.runtime = {};
  if (typeof doc.last_iteration !== 'number') doc.last_iteration = 0;
  if (!isObject(doc.container)) doc.container = {};
  if (!isObject(doc.hyperparams)) doc.hyperparams = {};
  if (!isObject(doc.configuration)) doc.configuration = {};
  return doc;
}
