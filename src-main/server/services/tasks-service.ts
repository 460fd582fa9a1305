import { z } from 'zod';
import { bool } from '../request-fields.js';
import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import { newId } from '../ids.js';
import { isTaskStatus } from '../tasks/status-machine.js';
import type { TaskDoc } from '../tasks/task-document.js';
import { applyTaskFields, checkTaskName, normalizeConfiguration, normalizeHyperparams } from '../tasks/task-edit.js';
import type { ModelOperations } from '../models/model-operations.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import { queryTasks, taskQuerySchema } from '../tasks/task-query.js';
import {
  configurationSchema,
  containerSchema,
  executionSchema,
  hyperparamsSchema,
  taskFieldsSchema,
} from '../tasks/task-schemas.js';
import { withTaskDefaults } from '../tasks/task-defaults.js';
import { renderTask } from '../tasks/task-shapes.js';
import { parseRequest } from '../validation.js';
import { findOrCreateProject } from './projects-service.js';

const editableFields = Object.fromEntries(
  Object.entries(taskFieldsSchema).map(([key, schema]) => [key, schema.optional()]),
) as { [K in keyof typeof taskFieldsSchema]: z.ZodOptional<(typeof taskFieldsSchema)[K]> };

const requests = {
  create: z.object(taskFieldsSchema),
  taskOnly: z.object({ task: z.string() }),
  edit: z.object({ task: z.string(), force: bool.optional(), ...editableFields }),
  update: z.object({
    task: z.string(),
    name: z.string().optional(),
    tags: z.array(z.string()).optional(),
    system_tags: z.array(z.string()).optional(),
    comment: z.string().optional(),
    project: z.string().optional(),
    output__error: z.string().optional(),
    status: z.string().optional(),
    status_reason: z.string().optional(),
    status_message: z.string().optional(),
  }),
  clone: z.object({
    task: z.string(),
    new_task_name: z.string().optional(),
    new_task_comment: z.string().optional(),
    new_task_tags: z.array(z.string()).optional(),
    new_task_system_tags: z.array(z.string()).optional(),
    new_task_parent: z.string().optional(),
    new_task_project: z.string().optional(),
    new_project_name: z.string().optional(),
    new_task_hyperparams: hyperparamsSchema.optional(),
    new_task_configuration: configurationSchema.optional(),
    new_task_container: containerSchema.optional(),
    new_task_input_models: z.array(z.object({ name: z.string().optional(), model: z.string() })).optional(),
    execution_overrides: executionSchema.optional(),
    validate_references: bool.optional(),
  }),
  delete: z.object({
    task: z.string(),
    force: bool.optional(),
    move_to_trash: bool.optional(),
    return_file_urls: bool.optional(),
    delete_output_models: bool.optional(),
  }),
  setRequirements: z.object({ task: z.string(), requirements: z.record(z.string(), z.unknown()) }),
};

/** Strips what a clone must not inherit: the queue and output-mode artifacts. */
function executionForClone(execution: JsonObject): JsonObject {
  const copy = structuredClone(execution);
  delete copy.queue;
  if (Array.isArray(copy.artifacts)) {
    copy.artifacts = (copy.artifacts as JsonObject[]).filter((artifact) => artifact.mode === 'input');
  }
  return copy;
}

export function tasksEndpoints(ctx: ServerContext, taskOps: TaskOperations, modelOps: ModelOperations): EndpointDefinition[] {
  const inTransaction = <T>(fn: () => T): T => ctx.db.transaction(fn)();

  const requireProject = (projectId: string | undefined) => {
    if (projectId !== undefined && projectId !== '' && !ctx.projects.get(projectId)) {
      throw apiError('invalid_project_id', undefined, { id: projectId });
    }
  };
  const requireParent = (parentId: string | undefined) => {
    if (parentId !== undefined && parentId !== '' && !ctx.tasks.get(parentId)) {
      throw apiError('invalid_task_id', 'parent task not found', { parent: parentId });
    }
  };

  const newTaskDoc = (identity: Identity, name: string, type: string): TaskDoc => {
    const now = isoDate(ctx.now());
    return {
      id: newId(),
      name,
      type,
      status: 'created',
      status_reason: '',
      status_message: '',
      status_changed: now,
      user: identity.user,
      company: identity.company,
      tags: [],
      system_tags: [],
      created: now,
      last_update: now,
      last_change: now,
      last_changed_by: identity.user,
      execution: {},
      hyperparams: {},
      configuration: {},
    };
  };

  return [
    {
      name: 'tasks.create',
      versions: ['2.1', '2.13'],
      handle(call) {
        const request = parseRequest(requests.create, call.body);
        checkTaskName(request.name);
        return inTransaction(() => {
          requireProject(request.project);
          requireParent(request.parent);
          const task = newTaskDoc(call.identity, request.name, request.type);
          applyTaskFields(task, request);
          ctx.tasks.insert(withTaskDefaults(task));
          return { id: task.id };
        });
      },
    },
    {
      name: 'tasks.get_by_id',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.taskOnly, call.body);
        return { task: renderTask(taskOps.require(request.task), call.version) };
      },
    },
    {
      name: 'tasks.get_all',
      versions: ['2.1', '2.14', '2.15', '2.26'],
      handle(call) {
        const query = parseRequest(taskQuerySchema, call.body);
        return { tasks: queryTasks(ctx.tasks, query, call.body, call.version) };
      },
    },
    {
      name: 'tasks.edit',
      versions: ['2.1', '2.13'],
      handle(call) {
        const request = parseRequest(requests.edit, call.body);
        if (request.name !== undefined) checkTaskName(request.name);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          if (task.status !== 'created' && !request.force) {
            throw apiError('invalid_task_status', 'tasks.edit needs a created task or force:true', {
              task: task.id,
              status: task.status,
            });
          }
          requireProject(request.project);
          requireParent(request.parent);
          const { task: _id, force: _force, ...fieldsInput } = request;
          const fields = applyTaskFields(task, fieldsInput);
          if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
          taskOps.saveUserChange(task, call.identity);
          return { updated: 1, fields };
        });
      },
    },
    {
      name: 'tasks.update',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.update, call.body);
        if (request.name !== undefined) checkTaskName(request.name);
        if (request.status !== undefined && !isTaskStatus(request.status)) {
          throw apiError('validation_error', 'unknown task status', { status: request.status });
        }
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          const fields: JsonObject = {};
          for (const key of ['name', 'tags', 'system_tags', 'comment', 'project', 'status', 'status_reason', 'status_message'] as const) {
            if (request[key] !== undefined) {
              Object.assign(task, { [key]: request[key] });
              fields[key] = request[key];
            }
          }
          if (request.output__error !== undefined) {
            task.output = { ...task.output, error: request.output__error };
            fields['output.error'] = request.output__error;
          }
          if (Object.keys(fields).length === 0) return { updated: 0, fields: {} };
          if (request.status !== undefined) task.status_changed = isoDate(ctx.now());
          taskOps.saveUserChange(task, call.identity);
          return { updated: 1, fields };
        });
      },
    },
    {
      name: 'tasks.clone',
      versions: ['2.5', '2.12', '2.13'],
      handle(call) {
        const request = parseRequest(requests.clone, call.body);
        if (request.new_task_name !== undefined) checkTaskName(request.new_task_name);
        return inTransaction(() => {
          const source = taskOps.require(request.task);
          requireProject(request.new_task_project);
          requireParent(request.new_task_parent);
          const result: JsonObject = {};
          let project = request.new_task_project ?? source.project ?? undefined;
          if (request.new_project_name !== undefined) {
            const created = findOrCreateProject(ctx, call.identity, request.new_project_name);
            project = created.id;
            result.new_project = { id: created.id, name: created.name };
          }
          const clone = newTaskDoc(call.identity, request.new_task_name ?? source.name, source.type);
          clone.comment = request.new_task_comment ?? source.comment ?? '';
          clone.tags = request.new_task_tags ?? [...source.tags];
          clone.system_tags =
            request.new_task_system_tags ?? source.system_tags.filter((tag) => tag !== 'development' && tag !== 'archived');
          clone.parent = request.new_task_parent ?? source.parent ?? source.id;
          if (project) clone.project = project;
          if (source.script) clone.script = structuredClone(source.script);
          clone.execution = executionForClone(source.execution ?? {});
          if (source.container) clone.container = { ...source.container };
          clone.hyperparams = request.new_task_hyperparams
            ? normalizeHyperparams(request.new_task_hyperparams)
            : structuredClone(source.hyperparams ?? {});
          clone.configuration = request.new_task_configuration
            ? normalizeConfiguration(request.new_task_configuration)
            : structuredClone(source.configuration ?? {});
          if (request.new_task_container) clone.container = request.new_task_container;
          const inputModels = request.new_task_input_models ?? source.models?.input ?? [];
          clone.models = { input: structuredClone(inputModels), output: [] };
          const destination = source.output?.destination ?? source.output_dest;
          if (destination !== undefined) clone.output = { destination };
          if (request.execution_overrides) applyTaskFields(clone, { execution: request.execution_overrides });
          ctx.tasks.insert(withTaskDefaults(clone));
          return { id: clone.id, ...result };
        });
      },
    },
    {
      name: 'tasks.delete',
      versions: ['2.1', '2.13'],
      handle(call) {
        const request = parseRequest(requests.delete, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          if (task.status !== 'created' && !request.force) {
            throw apiError('task_cannot_be_deleted', `task is ${task.status}; pass force:true to delete it`, {
              task: task.id,
              status: task.status,
            });
          }
          ctx.queues.removeEverywhere(task.id);
          const deletedEvents = ctx.events.deleteForTask(task.id);
          let updatedChildren = 0;
          for (const child of ctx.tasks.children(task.id)) {
            child.parent = null;
            ctx.tasks.save(child);
            updatedChildren++;
          }
          const artifactUrls = (Array.isArray(task.execution?.artifacts) ? (task.execution.artifacts as JsonObject[]) : [])
            .map((artifact) => artifact.uri)
            .filter((uri): uri is string => typeof uri === 'string' && uri !== '');
          const models = modelOps.releaseTaskOutputs(task, request.delete_output_models !== false, false);
          ctx.tasks.delete(task.id);
          const urls = request.return_file_urls ? { model_urls: models.deletedUris, event_urls: [], artifact_urls: artifactUrls } : null;
          return { deleted: true, updated_children: updatedChildren, updated_models: models.detached, events: { deleted: deletedEvents }, urls };
        });
      },
    },
    {
      name: 'tasks.set_requirements',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.setRequirements, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          if (!task.script) throw apiError('missing_task_fields', 'task has no script', { task: task.id });
          task.script = { ...task.script, requirements: request.requirements };
          const now = isoDate(ctx.now());
          task.last_change = now;
          task.last_update = now;
          ctx.tasks.save(task);
          return { updated: 1, fields: { 'script.requirements': request.requirements } };
        });
      },
    },
    {
      name: 'tasks.ping',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.taskOnly, call.body);
        inTransaction(() => {
          const task = taskOps.require(request.task);
          taskOps.touch(task);
          ctx.tasks.save(task);
        });
        return {};
      },
    },
  ];
}
