import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import type { ModelOperations } from '../models/model-operations.js';
import type { TaskDoc } from './task-document.js';
import type { TaskOperations } from './task-operations.js';

export interface PublishOptions {
  force?: boolean | undefined;
  reason?: string | undefined;
  message?: string | undefined;
  /** Also publish the task's last output model (ClearML's default). */
  publishModel?: boolean | undefined;
}

/**
 * ClearML's tasks.publish: the status machine decides (stopped, completed, failed and closed
 * tasks may be published; force overrides), the last output model becomes ready, `published`
 * is stamped. Returns the fields set; the caller saves the task.
 */
export function publishTask(task: TaskDoc, options: PublishOptions, identity: Identity, taskOps: TaskOperations, modelOps: ModelOperations): JsonObject {
  const fields = taskOps.setStatus(task, 'published', { force: options.force, reason: options.reason, message: options.message }, identity);
  task.published = task.status_changed;
  fields.published = task.published;
  if (options.publishModel !== false) {
    const model = modelOps.lastOutputModel(task);
    if (model) modelOps.setReady(model);
  }
  return fields;
}
