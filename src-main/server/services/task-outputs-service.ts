import { z } from 'zod';
import { runBatchOperation } from '../batch-operation.js';
import type { ServerContext } from '../context.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import type { Identity } from '../identity.js';
import type { ModelOperations } from '../models/model-operations.js';
import { bool, int } from '../request-fields.js';
import type { TaskDoc } from '../tasks/task-document.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import { publishTask } from '../tasks/task-publish.js';
import { artifactSchema } from '../tasks/task-schemas.js';
import { parseRequest } from '../validation.js';

const statusFields = { status_reason: z.string().optional(), status_message: z.string().optional() };
const ids = z.array(z.string()).min(1);

const requests = {
  addArtifacts: z.object({ task: z.string(), artifacts: z.array(artifactSchema).min(1), force: bool.optional() }),
  deleteArtifacts: z.object({
    task: z.string(),
    artifacts: z.array(z.object({ key: z.string().min(1), mode: z.enum(['input', 'output']).optional() })).min(1),
    force: bool.optional(),
  }),
  addModel: z.object({ task: z.string(), name: z.string().min(1), model: z.string(), type: z.enum(['input', 'output']), iteration: int().optional() }),
  deleteModels: z.object({ task: z.string(), models: z.array(z.object({ name: z.string(), type: z.enum(['input', 'output']) })).min(1) }),
  publish: z.object({ task: z.string(), force: bool.optional(), publish_model: bool.optional(), ...statusFields }),
  publishMany: z.object({ ids, force: bool.optional(), publish_model: bool.optional(), ...statusFields }),
  archive: z.object({ tasks: ids, include_pipeline_steps: bool.optional(), ...statusFields }),
  archiveMany: z.object({ ids, include_pipeline_steps: bool.optional(), ...statusFields }),
  getTypes: z.object({ projects: z.array(z.string()).optional() }),
};

type Artifact = z.output<typeof artifactSchema>;
const ARCHIVED = 'archived';

const artifactKey = (artifact: { key: string; mode?: string | undefined }) => `${artifact.mode ?? 'output'}\u0000${artifact.key}`;

/**
 * What a task produces and how it is filed: artifacts (`execution.artifacts`, one per key and
 * mode), input/output model references, publish, archive — and `tasks.get_types`.
 */
export function taskOutputsEndpoints(ctx: ServerContext, taskOps: TaskOperations, modelOps: ModelOperations): EndpointDefinition[] {
  const inTransaction = <T>(fn: () => T): T => ctx.db.transaction(fn)();

  /** ClearML always edits artifacts as with force: the task must be created or in progress. */
  const requireArtifactsEditable = (task: TaskDoc) => {
    if (task.status !== 'created' && task.status !== 'in_progress') {
      throw apiError('invalid_task_status', 'artifacts change only while the task is created or in_progress', { task: task.id, status: task.status });
    }
  };

  const storedArtifacts = (task: TaskDoc): Artifact[] => (Array.isArray(task.execution?.artifacts) ? (task.execution.artifacts as Artifact[]) : []);

  const saveArtifacts = (task: TaskDoc, artifacts: Artifact[]) => {
    const sorted = [...artifacts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : artifactKey(a) < artifactKey(b) ? -1 : 1));
    task.execution = { ...task.execution, artifacts: sorted };
    taskOps.touch(task);
    ctx.tasks.save(task);
  };

  const publishOne = (
    id: string,
    request: { force?: boolean | undefined; publish_model?: boolean | undefined; status_reason?: string | undefined; status_message?: string | undefined },
    identity: Identity,
  ) => {
    const task = taskOps.require(id);
    const fields = publishTask(
      task,
      { force: request.force, reason: request.status_reason, message: request.status_message, publishModel: request.publish_model },
      identity,
      taskOps,
      modelOps,
    );
    ctx.tasks.save(task);
    return { updated: 1, fields };
  };

  const archiveOne = (task: TaskDoc, request: { status_reason?: string | undefined; status_message?: string | undefined }, identity: Identity): number => {
    if (task.status === 'queued' || ctx.queues.queuesOfTask(task.id).length > 0) {
      ctx.queues.removeEverywhere(task.id);
      taskOps.revertDequeued(task, identity, request.status_reason ?? 'archived');
    }
    if (task.system_tags.includes(ARCHIVED)) {
      ctx.tasks.save(task);
      return 0;
    }
    task.system_tags = [...task.system_tags, ARCHIVED];
    if (request.status_reason !== undefined) task.status_reason = request.status_reason;
    if (request.status_message !== undefined) task.status_message = request.status_message;
    taskOps.saveUserChange(task, identity);
    return 1;
  };

  return [
    {
      name: 'tasks.add_or_update_artifacts',
      versions: ['2.10'],
      handle(call) {
        const request = parseRequest(requests.addArtifacts, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          requireArtifactsEditable(task);
          const byKey = new Map(storedArtifacts(task).map((artifact) => [artifactKey(artifact), artifact]));
          for (const artifact of request.artifacts) byKey.set(artifactKey(artifact), { ...artifact, mode: artifact.mode ?? 'output' });
          saveArtifacts(task, [...byKey.values()]);
          return { updated: request.artifacts.length };
        });
      },
    },
    {
      name: 'tasks.delete_artifacts',
      versions: ['2.10'],
      handle(call) {
        const request = parseRequest(requests.deleteArtifacts, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          requireArtifactsEditable(task);
          const doomed = new Set(request.artifacts.map(artifactKey));
          const kept = storedArtifacts(task).filter((artifact) => !doomed.has(artifactKey(artifact)));
          const deleted = storedArtifacts(task).length - kept.length;
          if (deleted > 0) saveArtifacts(task, kept);
          return { deleted };
        });
      },
    },
    {
      name: 'tasks.add_or_update_model',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.addModel, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          const model = modelOps.require(request.model);
          modelOps.setTaskModel(task, request.type, request.name, model.id);
          if (request.type === 'output' && request.iteration !== undefined) {
            model.last_iteration = request.iteration;
            ctx.models.save(model);
          }
          taskOps.touch(task);
          ctx.tasks.save(task);
          return { updated: 1 };
        });
      },
    },
    {
      name: 'tasks.delete_models',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.deleteModels, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          let changed = false;
          const lists = { input: modelOps.refs(task, 'input'), output: modelOps.refs(task, 'output') };
          for (const { name, type } of request.models) {
            const before = lists[type].length;
            lists[type] = lists[type].filter((ref) => ref.name !== name);
            changed ||= lists[type].length !== before;
          }
          if (!changed) return { updated: 0 };
          task.models = lists;
          taskOps.touch(task);
          ctx.tasks.save(task);
          return { updated: 1 };
        });
      },
    },
    {
      name: 'tasks.publish',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.publish, call.body);
        return inTransaction(() => publishOne(request.task, request, call.identity));
      },
    },
    {
      name: 'tasks.publish_many',
      versions: ['2.13'],
      handle(call) {
        const request = parseRequest(requests.publishMany, call.body);
        return runBatchOperation(request.ids, (id) => inTransaction(() => publishOne(id, request, call.identity)));
      },
    },
    {
      name: 'tasks.archive',
      versions: ['2.12', '2.30'],
      handle(call) {
        const request = parseRequest(requests.archive, call.body);
        return inTransaction(() => {
          const tasks = request.tasks.map((id) => taskOps.require(id));
          return { archived: tasks.reduce((count, task) => count + archiveOne(task, request, call.identity), 0) };
        });
      },
    },
    {
      name: 'tasks.archive_many',
      versions: ['2.13', '2.30'],
      handle(call) {
        const request = parseRequest(requests.archiveMany, call.body);
        return runBatchOperation(request.ids, (id) => inTransaction(() => ({ archived: archiveOne(taskOps.require(id), request, call.identity) })));
      },
    },
    {
      name: 'tasks.unarchive_many',
      versions: ['2.13', '2.30'],
      handle(call) {
        const request = parseRequest(requests.archiveMany, call.body);
        return runBatchOperation(request.ids, (id) =>
          inTransaction(() => {
            const task = taskOps.require(id);
            if (!task.system_tags.includes(ARCHIVED)) return { unarchived: 0 };
            task.system_tags = task.system_tags.filter((tag) => tag !== ARCHIVED);
            taskOps.saveUserChange(task, call.identity);
            return { unarchived: 1 };
          }),
        );
      },
    },
    {
      name: 'tasks.get_types',
      versions: ['2.8'],
      handle(call) {
        const request = parseRequest(requests.getTypes, call.body);
        const projects = request.projects && request.projects.length > 0 ? request.projects : undefined;
        const types = new Set<string>();
        for (const task of ctx.tasks.list(projects ? { projects } : {})) {
          if (!task.system_tags.includes('hidden')) types.add(task.type);
        }
        return { types: [...types].sort() };
      },
    },
  ];
}

