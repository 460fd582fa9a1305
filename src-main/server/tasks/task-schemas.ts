import { z } from 'zod';
import { TASK_TYPES } from './task-document.js';

/**
 * Request-side schemas of the task's embedded documents. Unknown keys are dropped silently,
 * as ClearML does for create/edit/update.
 */
const looseObject = z.record(z.string(), z.unknown());
const stringList = z.array(z.string());

export const scriptSchema = z.object({
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

export const executionSchema = z.object({
  queue: z.string().optional(),
  parameters: looseObject.optional(),
  model: z.string().optional(),
  model_desc: looseObject.optional(),
  model_labels: z.record(z.string(), z.number()).optional(),
  framework: z.string().optional(),
  docker_cmd: z.string().optional(),
  artifacts: z.array(looseObject).optional(),
  test_split: z.number().optional(),
});

export const containerSchema = z.record(z.string(), z.string().nullable()).transform((value) => {
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null) Object.defineProperty(result, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return result;
});

const paramValue = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));

export const paramItemSchema = z.object({
  section: z.string().optional(),
  name: z.string().optional(),
  value: paramValue.optional(),
  type: z.string().optional(),
  description: z.string().optional(),
});

export const hyperparamsSchema = z.record(z.string(), z.record(z.string(), paramItemSchema));

export const configurationItemSchema = z.object({
  name: z.string().optional(),
  value: paramValue.optional(),
  type: z.string().optional(),
  description: z.string().optional(),
});

export const configurationSchema = z.record(z.string(), configurationItemSchema);

const modelRef = z.object({ name: z.string().optional(), model: z.string(), updated: z.string().optional() });

export const modelsSchema = z.object({
  input: z.array(modelRef).optional(),
  output: z.array(modelRef).optional(),
});

export const outputSchema = z.object({
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
  force: z.boolean().optional(),
  status_reason: z.string().optional(),
  status_message: z.string().optional(),
};
