import { z } from 'zod';
import { bool, int, subDocument } from '../request-fields.js';
import { TASK_TYPES } from './task-document.js';

/**
 * Request-side schemas of the task's embedded documents. As in ClearML's schema, the
 * documents with a fixed set of fields (`script`, `execution`, `models`, `output`, artifacts)
 * refuse unknown fields with 400/12; the free-form maps (`container`, `runtime`,
 * `hyperparams`, `configuration`) take any key but check their value types.
 */
const looseObject = z.record(z.string(), z.unknown());
const stringList = z.array(z.string());

export const scriptSchema = subDocument({
  binary: z.string().optional(),
  repository: z.string().optional(),
  tag: z.string().optional(),
  branch: z.string().optional(),
  version_num: z.string().optional(),
  entry_point: z.string().optional(),
  working_dir: z.string().optional(),
  requirements: looseObject.optional(),
  diff: z.string().optional(),
});

/** One artifact (ClearML's Artifact): identified by key and mode. */
export const artifactSchema = subDocument({
  key: z.string().min(1),
  type: z.string(),
  mode: z.enum(['input', 'output']).optional(),
  uri: z.string().optional(),
  hash: z.string().optional(),
  content_size: int(0).optional(),
  timestamp: int().optional(),
  type_data: subDocument({
    preview: z.string().optional(),
    content_type: z.string().optional(),
    data_hash: z.string().optional(),
  }).optional(),
  display_data: z.array(z.array(z.unknown())).optional(),
});

export const executionSchema = subDocument({
  queue: z.string().optional(),
  parameters: looseObject.optional(),
  model: z.string().optional(),
  model_desc: looseObject.optional(),
  model_labels: z.record(z.string(), z.number()).optional(),
  framework: z.string().optional(),
  docker_cmd: z.string().optional(),
  artifacts: z.array(artifactSchema).optional(),
  test_split: int().optional(),
});

export const containerSchema = z.record(z.string(), z.string().nullable()).transform((value) => {
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null) Object.defineProperty(result, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return result;
});

const paramValue = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));

export const paramItemSchema = subDocument({
  section: z.string().optional(),
  name: z.string().optional(),
  value: paramValue.optional(),
  type: z.string().optional(),
  description: z.string().optional(),
});

export const hyperparamsSchema = z.record(z.string(), z.record(z.string(), paramItemSchema));

export const configurationItemSchema = subDocument({
  name: z.string().optional(),
  value: paramValue.optional(),
  type: z.string().optional(),
  description: z.string().optional(),
});

export const configurationSchema = z.record(z.string(), configurationItemSchema);

const modelRef = subDocument({ name: z.string().optional(), model: z.string(), updated: z.string().optional() });

export const modelsSchema = subDocument({
  input: z.array(modelRef).optional(),
  output: z.array(modelRef).optional(),
});

export const outputSchema = subDocument({
  destination: z.string().optional(),
  model: z.string().optional(),
  result: z.string().optional(),
  error: z.string().optional(),
});

export const taskTypeSchema = z.enum(TASK_TYPES);

/** The fields tasks.create accepts and tasks.edit may change. */
export const taskFieldsSchema = {
  name: z.string(),
  type: taskTypeSchema,
  comment: z.string().optional(),
  tags: stringList.optional(),
  system_tags: stringList.optional(),
  parent: z.string().optional(),
  project: z.string().optional(),
  output_dest: z.string().optional(),
  execution: executionSchema.optional(),
  script: scriptSchema.optional(),
  hyperparams: hyperparamsSchema.optional(),
  configuration: configurationSchema.optional(),
  models: modelsSchema.optional(),
  container: containerSchema.optional(),
  runtime: looseObject.optional(),
  output: outputSchema.optional(),
};

export const statusChangeFields = {
  task: z.string(),
  force: bool.optional(),
  status_reason: z.string().optional(),
  status_message: z.string().optional(),
};
