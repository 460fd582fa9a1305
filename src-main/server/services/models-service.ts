import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { EndpointDefinition } from '../endpoint.js';
import { runBatchOperation } from '../batch-operation.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import { idFilter, listFilter, listQueryFields, paginate, projectFields, sortDocs, stringListFilter } from '../list-query.js';
import { mergeMetadata, metadataItemSchema, withoutMetadataKeys } from '../metadata.js';
import type { ModelOperations } from '../models/model-operations.js';
import { bool, int } from '../request-fields.js';
import type { ModelDoc } from '../store/model-store.js';
import { publishTask } from '../tasks/task-publish.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import { parseRequest } from '../validation.js';

const stringList = z.array(z.string());
const labels = z.record(z.string(), z.number());
const design = z.record(z.string(), z.unknown());

const editableFields = {
  name: z.string().optional(),
  comment: z.string().optional(),
  tags: stringList.optional(),
  system_tags: stringList.optional(),
  framework: z.string().optional(),
  design: design.optional(),
  labels: labels.optional(),
  uri: z.string().optional(),
  iteration: int().optional(),
  parent: z.string().optional(),
  project: z.string().optional(),
  task: z.string().optional(),
  ready: bool.optional(),
};

const requests = {
  create: z.object({ ...editableFields, name: z.string(), uri: z.string(), public: bool.optional() }),
  edit: z.object({ model: z.string(), ...editableFields }),
  update: z.object({
    model: z.string(),
    name: z.string().optional(),
    comment: z.string().optional(),
    tags: stringList.optional(),
    system_tags: stringList.optional(),
    ready: bool.optional(),
    created: z.string().optional(),
    iteration: int().optional(),
    project: z.string().optional(),
    task: z.string().optional(),
    ui_cache: z.record(z.string(), z.unknown()).optional(),
  }),
  updateForTask: z.object({
    task: z.string(),
    uri: z.string().optional(),
    name: z.string().optional(),
    comment: z.string().optional(),
    tags: stringList.optional(),
    system_tags: stringList.optional(),
    override_model_id: z.string().optional(),
    iteration: int().optional(),
  }),
  getAll: z.object({
    id: idFilter,
    name: z.string().optional(),
    user: stringListFilter,
    task: stringListFilter,
    project: stringListFilter,
    framework: stringListFilter,
    uri: stringListFilter,
    tags: stringListFilter,
    system_tags: stringListFilter,
    ready: bool.optional(),
    search_text: z.string().optional(),
    ...listQueryFields,
  }),
  model: z.object({ model: z.string() }),
  task: z.object({ task: z.string() }),
  setReady: z.object({ model: z.string(), publish_task: bool.optional(), force_publish_task: bool.optional() }),
  publishMany: z.object({ ids: z.array(z.string()).min(1), publish_tasks: bool.optional(), force_publish_task: bool.optional() }),
  ids: z.object({ ids: z.array(z.string()).min(1) }),
  delete: z.object({ model: z.string(), force: bool.optional() }),
  deleteMany: z.object({ ids: z.array(z.string()).min(1), force: bool.optional() }),
  addMetadata: z.object({ model: z.string(), metadata: z.array(metadataItemSchema), replace_metadata: bool.optional() }),
  deleteMetadata: z.object({ model: z.string(), keys: z.array(z.string()) }),
  getFrameworks: z.object({ projects: stringList.optional() }),
};

const ARCHIVED = 'archived';

/** models.* as the ClearML SDK uses them (OutputModel/InputModel, Task.delete, publish). */
export function modelsEndpoints(ctx: ServerContext, taskOps: TaskOperations, modelOps: ModelOperations): EndpointDefinition[] {
  const inTransaction = <T>(fn: () => T): T => ctx.db.transaction(fn)();

  const checkReferences = (fields: { project?: string | undefined; task?: string | undefined; parent?: string | undefined }) => {
    if (fields.project && !ctx.projects.get(fields.project)) throw apiError('invalid_project_id', undefined, { id: fields.project });
    if (fields.task) taskOps.require(fields.task);
    if (fields.parent) modelOps.require(fields.parent);
  };

  /** Applies edit/update fields; returns what changed, keyed as ClearML reports it. */
  const applyFields = (model: ModelDoc, input: Partial<Record<string, unknown>>): JsonObject => {
    const fields: JsonObject = {};
    for (const [key, value] of Object.entries(input)) {
      if (value === undefined || key === 'model') continue;
      const target = key === 'iteration' ? 'last_iteration' : key;
      Object.defineProperty(model, target, { value, enumerable: true, writable: true, configurable: true });
      fields[target] = value;
    }
    if (Object.keys(fields).length > 0) fields.last_update = modelOps.touch(model);
    return fields;
  };

  const editLike = (name: string, versions: string[], schema: typeof requests.edit | typeof requests.update): EndpointDefinition => ({
    name,
    versions,
    handle(call) {
      const { model: modelId, ...input } = parseRequest(schema, call.body);
      return inTransaction(() => {
        const model = modelOps.require(modelId);
        checkReferences(input as { project?: string; task?: string; parent?: string });
        const fields = applyFields(model, input);
        if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
        ctx.models.save(model);
        return { updated: 1, fields };
      });
    },
  });

  const publishModel = (modelId: string, publishTaskToo: boolean, forceTask: boolean | undefined, identity: Identity): JsonObject => {
    const model = modelOps.require(modelId);
    const updated = modelOps.setReady(model) ? 1 : 0;
    let publishedTask: JsonObject | null = null;
    if (publishTaskToo && model.task) {
      const task = ctx.tasks.get(model.task);
      if (task && task.status !== 'published') {
        const fields = publishTask(task, { force: forceTask, publishModel: false }, identity, taskOps, modelOps);
        ctx.tasks.save(task);
        publishedTask = { id: task.id, data: { updated: 1, fields } };
      }
    }
    return { updated, published_task: publishedTask };
  };

  const deleteModel = (modelId: string, force: boolean | undefined): JsonObject => {
    const model = modelOps.require(modelId);
    if (!force) {
      const creator = model.task ? ctx.tasks.get(model.task) : undefined;
      if (creator && creator.status === 'published') {
        throw apiError('model_creating_task_exists', 'and published; pass force:true to delete', { task: creator.id });
      }
      const users = modelOps.inputOf(model.id, model.task ?? undefined);
      if (users.length > 0) throw apiError('model_in_use', 'pass force:true to delete anyway', { tasks: users.map((task) => task.id) });
    }
    ctx.models.delete(model.id);
    modelOps.detachEverywhere(model.id);
    return { deleted: true, url: model.uri };
  };

  const setArchived = (modelId: string, archived: boolean): JsonObject => {
    const model = modelOps.require(modelId);
    const has = model.system_tags.includes(ARCHIVED);
    if (has === archived) return archived ? { archived: 0 } : { unarchived: 0 };
    model.system_tags = archived ? [...model.system_tags, ARCHIVED] : model.system_tags.filter((tag) => tag !== ARCHIVED);
    modelOps.touch(model);
    ctx.models.save(model);
    return archived ? { archived: 1 } : { unarchived: 1 };
  };

  return [
    {
      name: 'models.create',
      versions: ['2.1', '2.13'],
      handle(call) {
        const { public: _public, iteration, ...request } = parseRequest(requests.create, call.body);
        if (request.name.trim() === '') throw apiError('validation_error', "error for field 'name'. must not be empty");
        return inTransaction(() => {
          checkReferences(request);
          const model = modelOps.newModel(call.identity, { ...request, ready: request.ready ?? false });
          if (iteration !== undefined) model.last_iteration = iteration;
          ctx.models.insert(model);
          return { id: model.id, created: true };
        });
      },
    },
    editLike('models.edit', ['2.1', '2.13'], requests.edit),
    editLike('models.update', ['2.1', '2.13'], requests.update),
    {
      name: 'models.update_for_task',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.updateForTask, call.body);
        if ((request.uri === undefined) === (request.override_model_id === undefined)) {
          throw apiError('missing_required_fields', 'give exactly one of uri and override_model_id', { fields: ['uri', 'override_model_id'] });
        }
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          if (request.override_model_id !== undefined) {
            const model = modelOps.require(request.override_model_id);
            modelOps.setTaskModel(task, 'output', model.name, model.id);
            taskOps.saveUserChange(task, call.identity);
            return { id: model.id, created: false, updated: 0, fields: {} };
          }
          const current = modelOps.lastOutputModel(task);
          const input = { uri: request.uri, name: request.name, comment: request.comment, tags: request.tags, system_tags: request.system_tags, iteration: request.iteration };
          if (current && !current.ready) {
            const fields = applyFields(current, input);
            ctx.models.save(current);
            return { id: current.id, created: false, updated: Object.keys(fields).length > 0 ? 1 : 0, fields };
          }
          const execution = task.execution ?? {};
          const inputModel = modelOps.refs(task, 'input')[0]?.model;
          const model = modelOps.newModel(call.identity, {
            name: request.name ?? task.name,
            uri: request.uri ?? '',
            comment: request.comment ?? '',
            tags: request.tags ?? [],
            system_tags: request.system_tags ?? [],
            task: task.id,
            project: task.project ?? null,
            framework: typeof execution.framework === 'string' ? execution.framework : null,
            labels: (execution.model_labels as Record<string, number> | undefined) ?? {},
            parent: inputModel ?? null,
          });
          if (request.iteration !== undefined) model.last_iteration = request.iteration;
          ctx.models.insert(model);
          modelOps.setTaskModel(task, 'output', model.name, model.id);
          taskOps.saveUserChange(task, call.identity);
          return { id: model.id, created: true, updated: 0, fields: {} };
        });
      },
    },
    {
      name: 'models.get_all',
      versions: ['2.1', '2.15', '2.26'],
      handle(call) {
        const request = parseRequest(requests.getAll, call.body);
        const listed = listFilter<ModelDoc>(request, {
          values: { user: request.user, task: request.task, project: request.project, framework: request.framework, uri: request.uri },
          searchIn: (model) => `${model.id} ${model.name} ${model.comment}`,
        });
        const matches = (model: ModelDoc): boolean => listed(model) && (request.ready === undefined || model.ready === request.ready);
        const models = paginate(sortDocs(ctx.models.list(request.id).filter(matches), request.order_by), request.page, request.page_size);
        return { models: models.map((model) => projectFields(modelOps.render(model), request.only_fields)) };
      },
    },
    {
      name: 'models.get_by_id',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.model, call.body);
        return { model: modelOps.render(modelOps.require(request.model)) };
      },
    },
    {
      name: 'models.get_by_task_id',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.task, call.body);
        const task = taskOps.require(request.task);
        const model = modelOps.lastOutputModel(task);
        if (!model) throw apiError('invalid_model_id', 'the task has no output model', { task: task.id });
        return { model: modelOps.render(model) };
      },
    },
    {
      name: 'models.set_ready',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.setReady, call.body);
        return inTransaction(() => publishModel(request.model, request.publish_task ?? true, request.force_publish_task, call.identity));
      },
    },
    {
      name: 'models.publish_many',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.publishMany, call.body);
        return runBatchOperation(request.ids, (id) => inTransaction(() => publishModel(id, request.publish_tasks ?? true, request.force_publish_task, call.identity)));
      },
    },
    {
      name: 'models.archive_many',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.ids, call.body);
        return runBatchOperation(request.ids, (id) => inTransaction(() => setArchived(id, true)));
      },
    },
    {
      name: 'models.unarchive_many',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.ids, call.body);
        return runBatchOperation(request.ids, (id) => inTransaction(() => setArchived(id, false)));
      },
    },
    {
      name: 'models.delete',
      versions: ['2.1', '2.13'],
      handle(call) {
        const request = parseRequest(requests.delete, call.body);
        return inTransaction(() => deleteModel(request.model, request.force));
      },
    },
    {
      name: 'models.delete_many',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.deleteMany, call.body);
        return runBatchOperation(request.ids, (id) => inTransaction(() => deleteModel(id, request.force)));
      },
    },
    {
      name: 'models.add_or_update_metadata',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.addMetadata, call.body);
        return inTransaction(() => {
          const model = modelOps.require(request.model);
          model.metadata = mergeMetadata(model.metadata, request.metadata, request.replace_metadata === true);
          modelOps.touch(model);
          ctx.models.save(model);
          return { updated: 1 };
        });
      },
    },
    {
      name: 'models.delete_metadata',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.deleteMetadata, call.body);
        return inTransaction(() => {
          const model = modelOps.require(request.model);
          const { metadata, removed } = withoutMetadataKeys(model.metadata, request.keys);
          if (!removed) return { updated: 0 };
          model.metadata = metadata;
          modelOps.touch(model);
          ctx.models.save(model);
          return { updated: 1 };
        });
      },
    },
    {
      name: 'models.get_frameworks',
      versions: ['2.8'],
      handle(call) {
        const request = parseRequest(requests.getFrameworks, call.body);
        const frameworks = new Set<string>();
        for (const model of ctx.models.all()) {
          if (request.projects && request.projects.length > 0 && !request.projects.includes(model.project ?? '')) continue;
          if (model.framework) frameworks.add(model.framework);
        }
        return { frameworks: [...frameworks].sort() };
      },
    },
  ];
}

