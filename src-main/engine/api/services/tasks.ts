import { z } from 'zod';
import { endpointVersions } from '../endpoint-versions.js';
import { readData, taskSchema, updateResultSchema, hyperParamSchema, type Task, type UpdateResult } from '../models.js';
import type { ApiSession } from '../session.js';

/** The request shared by every status-changing call (reference §2.3). */
export interface StatusChange {
  task: string;
  force?: boolean;
  statusReason?: string;
  statusMessage?: string;
}

export interface TasksQuery {
  id?: string[];
  /** A regex searched anywhere in the name (server semantics). */
  name?: string;
  status?: string[];
  project?: string[];
  tags?: string[];
  systemTags?: string[];
  onlyFields?: string[];
  orderBy?: string[];
  page?: number;
  pageSize?: number;
  searchHidden?: boolean;
  /** Other server filters passed as they are, e.g. `{ 'execution.queue': queueId }`. */
  extra?: Record<string, unknown>;
}

/** A hyperparameter as sent to edit_hyper_params / create (values are strings on the server). */
export type HyperParamInput = {
  section: string;
  name: string;
  value: string;
  type?: string;
  description?: string;
};

/** tasks.create fields; nested ClearML documents (script, container, ...) go in server form. */
export interface CreateTaskRequest {
  name: string;
  type?: string;
  project?: string;
  comment?: string;
  tags?: string[];
  systemTags?: string[];
  parent?: string;
  script?: Record<string, unknown>;
  container?: Record<string, string>;
  hyperparams?: Record<string, Record<string, HyperParamInput>>;
  configuration?: Record<string, unknown>;
  runtime?: Record<string, unknown>;
}

export interface CloneTaskRequest {
  task: string;
  newTaskName?: string;
  newTaskComment?: string;
  newTaskTags?: string[];
  newTaskSystemTags?: string[];
  newTaskParent?: string;
  newTaskProject?: string;
  newTaskHyperparams?: Record<string, Record<string, HyperParamInput>>;
  newTaskContainer?: Record<string, string>;
  executionOverrides?: Record<string, unknown>;
}

export interface EditTaskRequest {
  task: string;
  force?: boolean;
  name?: string;
  comment?: string;
  tags?: string[];
  systemTags?: string[];
  script?: Record<string, unknown>;
  execution?: Record<string, unknown>;
  /** Replaced whole by the server (read-modify-write). */
  container?: Record<string, string>;
  /** Replaced whole by the server (read-modify-write). */
  runtime?: Record<string, unknown>;
  hyperparams?: Record<string, Record<string, HyperParamInput>>;
}

const idResult = z.looseObject({ id: z.string() });
const tasksResult = z.looseObject({ tasks: z.array(taskSchema).nullish().transform((v) => v ?? []) });
const hyperParamsResult = z.looseObject({
  params: z.array(z.looseObject({ task: z.string(), hyperparams: z.array(hyperParamSchema).nullish().transform((v) => v ?? []) })).nullish().transform((v) => v ?? []),
});
const countField = z.number().nullish().transform((v) => v ?? 0);

function statusChangeBody(request: StatusChange): Record<string, unknown> {
  return {
    task: request.task,
    force: request.force ?? false,
    status_reason: request.statusReason ?? '',
    status_message: request.statusMessage ?? '',
  };
}

export function createTasksService(session: ApiSession) {
  const v = endpointVersions;
  async function statusCall(endpoint: keyof typeof v, request: StatusChange, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return session.call(endpoint, { ...statusChangeBody(request), ...extra }, { version: v[endpoint] });
  }
  return {
    /** → in_progress; the agent sends force:true (a pulled task is still "queued"). */
    async started(request: StatusChange): Promise<UpdateResult & { started: number }> {
      const data = await statusCall('tasks.started', request);
      return { ...readData(updateResultSchema, data, 'tasks.started'), started: readData(countField, data['started'], 'tasks.started') };
    },
    async stopped(request: StatusChange): Promise<UpdateResult> {
      return readData(updateResultSchema, await statusCall('tasks.stopped', request), 'tasks.stopped');
    },
    async completed(request: StatusChange): Promise<UpdateResult> {
      return readData(updateResultSchema, await statusCall('tasks.completed', request), 'tasks.completed');
    },
    async failed(request: StatusChange): Promise<UpdateResult> {
      return readData(updateResultSchema, await statusCall('tasks.failed', request), 'tasks.failed');
    },
    /** Abort request: a queued task is stopped at once, a task run by a live worker gets status_message "stopping". */
    async stop(request: StatusChange): Promise<UpdateResult> {
      return readData(updateResultSchema, await statusCall('tasks.stop', request), 'tasks.stop');
    },
    async enqueue(request: StatusChange & { queue?: string; queueName?: string }): Promise<UpdateResult & { queued: number }> {
      const data = await statusCall('tasks.enqueue', request, { queue: request.queue, queue_name: request.queueName });
      return { ...readData(updateResultSchema, data, 'tasks.enqueue'), queued: readData(countField, data['queued'], 'tasks.enqueue') };
    },
    async dequeue(request: StatusChange & { newStatus?: string; removeFromAllQueues?: boolean }): Promise<UpdateResult & { dequeued: number }> {
      const data = await statusCall('tasks.dequeue', request, { new_status: request.newStatus, remove_from_all_queues: request.removeFromAllQueues });
      return { ...readData(updateResultSchema, data, 'tasks.dequeue'), dequeued: readData(countField, data['dequeued'], 'tasks.dequeue') };
    },
    /** → created; dequeues and clears output, runtime and logs. `clearAll` also wipes script/execution. */
    async reset(request: StatusChange & { clearAll?: boolean }): Promise<UpdateResult> {
      return readData(updateResultSchema, await statusCall('tasks.reset', request, { clear_all: request.clearAll }), 'tasks.reset');
    },
    /** Keep-alive while running (bumps last_update). */
    async ping(request: { task: string }): Promise<void> {
      await session.call('tasks.ping', { task: request.task }, { version: v['tasks.ping'] });
    },
    async getById(taskId: string): Promise<Task> {
      const data = await session.call('tasks.get_by_id', { task: taskId }, { version: v['tasks.get_by_id'] });
      return readData(z.looseObject({ task: taskSchema }), data, 'tasks.get_by_id').task;
    },
    /** Unknown ids are simply absent from the answer. `version` overrides the level (e.g. '2.15' for runtime). */
    async getAll(query: TasksQuery, options: { version?: string } = {}): Promise<Task[]> {
      const body = {
        id: query.id,
        name: query.name,
        status: query.status,
        project: query.project,
        tags: query.tags,
        system_tags: query.systemTags,
        only_fields: query.onlyFields,
        order_by: query.orderBy,
        page: query.page,
        page_size: query.pageSize,
        search_hidden: query.searchHidden,
        ...query.extra,
      };
      const data = await session.call('tasks.get_all', body, { version: options.version ?? v['tasks.get_all'] });
      return readData(tasksResult, data, 'tasks.get_all').tasks;
    },
    async create(request: CreateTaskRequest): Promise<{ id: string }> {
      const body = {
        name: request.name,
        type: request.type ?? 'training',
        project: request.project,
        comment: request.comment,
        tags: request.tags,
        system_tags: request.systemTags,
        parent: request.parent,
        script: request.script,
        container: request.container,
        hyperparams: request.hyperparams,
        configuration: request.configuration,
        runtime: request.runtime,
      };
      return { id: readData(idResult, await session.call('tasks.create', body, { version: v['tasks.create'] }), 'tasks.create').id };
    },
    async clone(request: CloneTaskRequest): Promise<{ id: string }> {
      const needs213 = request.newTaskHyperparams !== undefined || request.newTaskContainer !== undefined;
      const body = {
        task: request.task,
        new_task_name: request.newTaskName,
        new_task_comment: request.newTaskComment,
        new_task_tags: request.newTaskTags,
        new_task_system_tags: request.newTaskSystemTags,
        new_task_parent: request.newTaskParent,
        new_task_project: request.newTaskProject,
        new_task_hyperparams: request.newTaskHyperparams,
        new_task_container: request.newTaskContainer,
        execution_overrides: request.executionOverrides,
      };
      const version = needs213 ? v['tasks.clone+container'] : v['tasks.clone'];
      return { id: readData(idResult, await session.call('tasks.clone', body, { version }), 'tasks.clone').id };
    },
    /** Needs status created unless `force`; container/runtime/hyperparams replace the stored value whole. */
    async edit(request: EditTaskRequest): Promise<UpdateResult> {
      const body = {
        task: request.task,
        force: request.force,
        name: request.name,
        comment: request.comment,
        tags: request.tags,
        system_tags: request.systemTags,
        script: request.script,
        execution: request.execution,
        container: request.container,
        runtime: request.runtime,
        hyperparams: request.hyperparams,
      };
      return readData(updateResultSchema, await session.call('tasks.edit', body, { version: v['tasks.edit'] }), 'tasks.edit');
    },
    async getHyperParams(taskIds: string[]): Promise<Array<{ task: string; hyperparams: z.infer<typeof hyperParamSchema>[] }>> {
      const data = await session.call('tasks.get_hyper_params', { tasks: taskIds }, { version: v['tasks.get_hyper_params'] });
      return readData(hyperParamsResult, data, 'tasks.get_hyper_params').params;
    },
    async editHyperParams(request: { task: string; hyperparams: HyperParamInput[]; replaceHyperparams?: 'none' | 'section' | 'all'; force?: boolean }): Promise<{ updated: number }> {
      const body = { task: request.task, hyperparams: request.hyperparams, replace_hyperparams: request.replaceHyperparams, force: request.force };
      const data = await session.call('tasks.edit_hyper_params', body, { version: v['tasks.edit_hyper_params'] });
      return { updated: readData(countField, data['updated'], 'tasks.edit_hyper_params') };
    },
    /** Replaces script.requirements (any status): `{ pip: frozen list, org_pip: what the task asked for }`. */
    async setRequirements(request: { task: string; requirements: Record<string, unknown> }): Promise<UpdateResult> {
      const data = await session.call('tasks.set_requirements', { task: request.task, requirements: request.requirements }, { version: v['tasks.set_requirements'] });
      return readData(updateResultSchema, data, 'tasks.set_requirements');
    },
  };
}

export type TasksService = ReturnType<typeof createTasksService>;
