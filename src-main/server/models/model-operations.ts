import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import { newId } from '../ids.js';
import type { ModelDoc } from '../store/model-store.js';
import type { TaskDoc } from '../tasks/task-document.js';

export type ModelRefType = 'input' | 'output';

/** One entry of a task's `models.input` / `models.output`. */
export interface TaskModelRef {
  name: string;
  model: string;
  updated?: string;
  [key: string]: unknown;
}

/** Model lookups and the bookkeeping between models and the tasks that create or use them. */
export class ModelOperations {
  constructor(private readonly ctx: ServerContext) {}

  require(modelId: string): ModelDoc {
    const model = this.ctx.models.get(modelId);
    if (!model) throw apiError('invalid_model_id', undefined, { id: modelId });
    return model;
  }

  /** A new draft model with ClearML's defaults; `fields` override them. Not stored. */
  newModel(identity: Identity, fields: Partial<ModelDoc> & { name: string; uri: string }): ModelDoc {
    const now = isoDate(this.ctx.now());
    return {
      id: newId(),
      user: identity.user,
      company: identity.company,
      created: now,
      last_update: now,
      ready: false,
      comment: '',
      tags: [],
      system_tags: [],
      design: {},
      labels: {},
      ui_cache: {},
      metadata: {},
      last_iteration: 0,
      last_metrics: {},
      ...fields,
    };
  }

  touch(model: ModelDoc): string {
    const now = isoDate(this.ctx.now());
    model.last_update = now;
    return now;
  }

  /** The task's entries of `type`, as stored. */
  refs(task: TaskDoc, type: ModelRefType): TaskModelRef[] {
    const list = task.models?.[type];
    return Array.isArray(list) ? (list as unknown as TaskModelRef[]) : [];
  }

  /**
   * Adds or replaces (by name) the task's `type` entry for `modelId`, ClearML's
   * tasks.add_or_update_model. Does not save the task.
   */
  setTaskModel(task: TaskDoc, type: ModelRefType, name: string, modelId: string): void {
    const entry: TaskModelRef = { name, model: modelId, updated: isoDate(this.ctx.now()) };
    const list = this.refs(task, type).filter((ref) => ref.name !== name);
    list.push(entry);
    task.models = { input: this.refs(task, 'input'), output: this.refs(task, 'output'), [type]: list };
  }

  /** Drops `modelId` from every task's input and output lists (the model is gone). */
  detachEverywhere(modelId: string): void {
    for (const task of this.ctx.tasks.list({})) {
      const input = this.refs(task, 'input');
      const output = this.refs(task, 'output');
      if (!input.some((ref) => ref.model === modelId) && !output.some((ref) => ref.model === modelId)) continue;
      task.models = { input: input.filter((ref) => ref.model !== modelId), output: output.filter((ref) => ref.model !== modelId) };
      this.ctx.tasks.save(task);
    }
  }

  /** Tasks other than `exceptTask` that use the model as an input. */
  inputOf(modelId: string, exceptTask?: string): TaskDoc[] {
    return this.ctx.tasks.list({}).filter((task) => task.id !== exceptTask && this.refs(task, 'input').some((ref) => ref.model === modelId));
  }

  /** The task's last output model, if it still exists. */
  lastOutputModel(task: TaskDoc): ModelDoc | undefined {
    const ref = this.refs(task, 'output').at(-1);
    return ref ? this.ctx.models.get(ref.model) : undefined;
  }

  /** Publishes (ready) a model; returns whether it changed. Does the saving. */
  setReady(model: ModelDoc): boolean {
    if (model.ready) return false;
    model.ready = true;
    this.touch(model);
    this.ctx.models.save(model);
    return true;
  }

  /**
   * The output models of a task being deleted or reset: drafts nobody else uses are deleted
   * (when `deleteThem`), the rest lose their task reference. Returns the deleted models' URIs
   * and how many were only detached.
   */
  releaseTaskOutputs(task: TaskDoc, deleteThem: boolean, onlyDrafts: boolean): { deletedUris: string[]; detached: number } {
    const deletedUris: string[] = [];
    let detached = 0;
    const outputIds = new Set(this.refs(task, 'output').map((ref) => ref.model));
    for (const model of this.ctx.models.byTask(task.id)) outputIds.add(model.id);
    for (const id of outputIds) {
      const model = this.ctx.models.get(id);
      if (!model) continue;
      const deletable = deleteThem && (!onlyDrafts || !model.ready) && this.inputOf(model.id, task.id).length === 0;
      if (deletable) {
        this.ctx.models.delete(model.id);
        this.detachEverywhere(model.id);
        if (model.uri) deletedUris.push(model.uri);
      } else if (model.task === task.id && onlyDrafts === false) {
        model.task = null;
        this.touch(model);
        this.ctx.models.save(model);
        detached++;
      }
    }
    return { deletedUris, detached };
  }

  render(model: ModelDoc): JsonObject {
    return { ...model };
  }
}
