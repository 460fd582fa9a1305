import { z } from 'zod';
import { ApiError } from './errors.js';

/**
 * Shapes of the ClearML objects we read (reference §3, §4). Every object is loose: fields we
 * do not read pass through untouched, and optional fields may be absent or null (raw servers
 * send explicit nulls). Returned objects keep the server's snake_case names.
 */
const text = z.string().nullish();
const texts = z.array(z.string()).nullish();
/** Datetimes are ISO strings from ClearML; tolerate epoch numbers from other servers. */
const datetime = z.union([z.string(), z.number()]).nullish();

export const hyperParamSchema = z.looseObject({
  section: text,
  name: text,
  value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
  type: text,
  description: text,
});
export type HyperParam = z.infer<typeof hyperParamSchema>;

export const taskScriptSchema = z.looseObject({
  binary: text,
  repository: text,
  branch: text,
  tag: text,
  version_num: text,
  entry_point: text,
  working_dir: text,
  diff: text,
  requirements: z.looseObject({ pip: z.union([z.string(), z.array(z.string())]).nullish() }).nullish(),
});
export type TaskScript = z.infer<typeof taskScriptSchema>;

export const taskStatuses = ['created', 'queued', 'in_progress', 'stopped', 'published', 'publishing', 'closed', 'failed', 'completed', 'unknown'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
/** Statuses after which a task produces no more output (used by `task logs --follow`). */
export const finalTaskStatuses: ReadonlySet<string> = new Set(['stopped', 'published', 'publishing', 'closed', 'failed', 'completed']);

export const taskSchema = z.looseObject({
  id: z.string(),
  name: text,
  type: text,
  status: text,
  status_reason: text,
  status_message: text,
  status_changed: datetime,
  user: text,
  company: text,
  project: text,
  parent: text,
  comment: text,
  tags: texts,
  system_tags: texts,
  created: datetime,
  started: datetime,
  completed: datetime,
  last_update: datetime,
  last_change: datetime,
  last_worker: text,
  last_worker_report: datetime,
  script: taskScriptSchema.nullish(),
  execution: z.looseObject({ queue: text }).nullish(),
  container: z.record(z.string(), z.string().nullish()).nullish(),
  hyperparams: z.record(z.string(), z.record(z.string(), hyperParamSchema)).nullish(),
  runtime: z.record(z.string(), z.unknown()).nullish(),
});
export type Task = z.infer<typeof taskSchema>;

export const queueSchema = z.looseObject({
  id: z.string(),
  name: text,
  display_name: text,
  tags: texts,
  system_tags: texts,
  created: datetime,
  last_update: datetime,
  entries: z.array(z.looseObject({ task: z.string(), added: datetime })).nullish(),
});
export type Queue = z.infer<typeof queueSchema>;

const idName = z.looseObject({ id: text, name: text });
export const workerSchema = z.looseObject({
  id: z.string(),
  ip: text,
  key: text,
  user: idName.nullish(),
  company: idName.nullish(),
  register_time: datetime,
  register_timeout: z.number().nullish(),
  last_activity_time: datetime,
  last_report_time: datetime,
  task: z.looseObject({ id: text, name: text, running_time: z.number().nullish(), last_iteration: z.number().nullish() }).nullish(),
  project: idName.nullish(),
  queue: idName.nullish(),
  queues: z.array(idName).nullish(),
  tags: texts,
  system_tags: texts,
});
export type Worker = z.infer<typeof workerSchema>;

export const logEventSchema = z.looseObject({
  type: text,
  task: text,
  timestamp: z.union([z.number(), z.string()]).nullish(),
  level: text,
  msg: text,
  worker: text,
  /** Our embedded server's insertion order (for `after_seq`); absent on ClearML servers. */
  seq: z.number().nullish(),
});
export type TaskLogEvent = z.infer<typeof logEventSchema>;

/** Reads `data` with `schema`, or fails with an ApiError that names the endpoint and the field. */
export function readData<S extends z.ZodType>(schema: S, data: unknown, endpoint: string): z.infer<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'data';
  throw new ApiError({
    kind: 'response',
    httpCode: 200,
    resultCode: 200,
    resultSubcode: 0,
    endpoint,
    message: `${endpoint} answered with an unexpected ${where}: ${issue?.message ?? 'invalid'}`,
  });
}

/** `{updated, fields}` of the status-changing and edit calls. */
export const updateResultSchema = z.looseObject({
  updated: z.number().nullish().transform((v) => v ?? 0),
  fields: z.record(z.string(), z.unknown()).nullish().transform((v) => v ?? {}),
});
export type UpdateResult = z.infer<typeof updateResultSchema>;
