import { z } from 'zod';
import { bool } from '../request-fields.js';
import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import type { CallContext, EndpointDefinition } from '../endpoint.js';
import { runBatchOperation } from '../batch-operation.js';
import { apiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';
import type { Identity } from '../identity.js';
import type { ModelOperations } from '../models/model-operations.js';
import type { QueueOperations } from '../queues/queue-operations.js';
import type { QueueDoc } from '../store/queue-store.js';
import { isTaskStatus, type TaskStatus } from '../tasks/status-machine.js';
import type { TaskDoc } from '../tasks/task-document.js';
import { withTaskDefaults } from '../tasks/task-defaults.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import { publishTask } from '../tasks/task-publish.js';
import { statusChangeFields } from '../tasks/task-schemas.js';
import { parseRequest } from '../validation.js';
import { createQueue } from './queues-service.js';

const requests = {
  statusChange: z.object(statusChangeFields),
  completed: z.object({ ...statusChangeFields, publish: bool.optional() }),
  stop: z.object({ ...statusChangeFields, include_pipeline_steps: bool.optional() }),
  stopMany: z.object({
    ids: z.array(z.string()).min(1),
    force: bool.optional(),
    status_reason: z.string().optional(),
    status_message: z.string().optional(),
    include_pipeline_steps: bool.optional(),
  }),
  enqueue: z.object({
    ...statusChangeFields,
    queue: z.string().optional(),
    queue_name: z.string().optional(),
    verify_watched_queue: bool.optional(),
    update_execution_queue: bool.optional(),
  }),
  dequeue: z.object({
    ...statusChangeFields,
    remove_from_all_queues: bool.optional(),
    new_status: z.string().optional(),
  }),
  reset: z.object({
    ...statusChangeFields,
    clear_all: bool.optional(),
    return_file_urls: bool.optional(),
    delete_output_models: bool.optional(),
    delete_external_artifacts: bool.optional(),
  }),
};

type StopRequest = z.output<typeof requests.stop>;

/** The status-changing task calls: started/stopped/completed/failed/close, stop, enqueue/dequeue, reset. */
export function taskStatusEndpoints(
  ctx: ServerContext,
  taskOps: TaskOperations,
  queueOps: QueueOperations,
  modelOps: ModelOperations,
): EndpointDefinition[] {
  const inTransaction = <T>(fn: () => T): T => ctx.db.transaction(fn)();

  /** A plain status change endpoint; `extra` may stamp more fields and add response keys. */
  const simpleChange = (
    name: string,
    versions: string[],
    to: TaskStatus,
    extra?: (task: TaskDoc, fields: JsonObject, call: CallContext) => JsonObject,
  ): EndpointDefinition => ({
    name,
    versions,
    handle(call) {
      const request = parseRequest(requests.completed, call.body);
      return inTransaction(() => {
        const task = taskOps.require(request.task);
        const fields = taskOps.setStatus(
          task,
          to,
          { force: request.force, reason: request.status_reason, message: request.status_message },
          call.identity,
        );
        const response = extra ? extra(task, fields, call) : {};
        ctx.tasks.save(task);
        return { updated: 1, fields, ...response };
      });
    },
  });

  const stopOne = (request: StopRequest, identity: Identity): JsonObject => {
    const task = taskOps.require(request.task);
    const change = { force: request.force, reason: request.status_reason };
    if (task.status === 'in_progress' && taskOps.runByLiveWorker(task)) {
      // Cooperative abort: the agent running it sees "stopping", kills and reports stopped.
      const fields = taskOps.setStatus(task, 'in_progress', { ...change, message: 'stopping' }, identity);
      ctx.tasks.save(task);
      return { updated: 1, fields };
    }
    const message = request.status_message || `Stopped by ${identity.user_name || identity.user}`;
    const fields = taskOps.setStatus(task, 'stopped', { ...change, message }, identity);
    if (ctx.queues.removeEverywhere(task.id).length > 0 && task.execution) {
      const execution = { ...task.execution };
      delete execution.queue;
      task.execution = execution;
    }
    task.completed = fields.status_changed as string;
    ctx.tasks.save(task);
    return { updated: 1, fields };
  };

  const resolveEnqueueQueue = (request: z.output<typeof requests.enqueue>, identity: Identity): QueueDoc => {
    if (request.queue !== undefined && request.queue_name !== undefined) {
      throw apiError('validation_error', 'pass either queue or queue_name, not both');
    }
    if (request.queue !== undefined) return queueOps.require(request.queue);
    if (request.queue_name !== undefined) {
      return ctx.queues.getByName(request.queue_name.trim()) ?? createQueue(ctx, identity, { name: request.queue_name });
    }
    return queueOps.defaultQueue();
  };

  return [
    simpleChange('tasks.started', ['2.1'], 'in_progress', (task, fields) => {
      if (task.started) return { started: 0 };
      task.started = fields.status_changed as string;
      fields.started = task.started;
      return { started: 1 };
    }),
    simpleChange('tasks.stopped', ['2.1'], 'stopped', (task, fields) => {
      task.completed = fields.status_changed as string;
      fields.completed = task.completed;
      return {};
    }),
    simpleChange('tasks.completed', ['2.2', '2.20'], 'completed', (task, fields, call) => {
      task.completed = fields.status_changed as string;
      fields.completed = task.completed;
      const request = parseRequest(requests.completed, call.body);
      if (!request.publish) return { published: 0 };
      const published = publishTask(task, { force: true, reason: request.status_reason }, call.identity, taskOps, modelOps);
      fields.status = 'published';
      fields.published = published.published;
      return { published: 1 };
    }),
    simpleChange('tasks.failed', ['2.1'], 'failed'),
    simpleChange('tasks.close', ['2.1'], 'closed'),
    {
      name: 'tasks.stop',
      versions: ['2.1', '2.30'],
      handle(call) {
        const request = parseRequest(requests.stop, call.body);
        return inTransaction(() => stopOne(request, call.identity));
      },
    },
    {
      name: 'tasks.stop_many',
      versions: ['2.13', '2.30'],
      handle(call) {
        const request = parseRequest(requests.stopMany, call.body);
        return runBatchOperation(request.ids, (id) =>
          inTransaction(() =>
            stopOne({ task: id, force: request.force, status_reason: request.status_reason, status_message: request.status_message }, call.identity),
          ),
        );
      },
    },
    {
      name: 'tasks.enqueue',
      versions: ['1.5', '2.19', '2.22', '2.31'],
      handle(call) {
        const request = parseRequest(requests.enqueue, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          const queue = resolveEnqueueQueue(request, call.identity);
          const previous = task.status;
          const fields = taskOps.setStatus(
            task,
            'queued',
            { force: request.force, reason: request.status_reason, message: request.status_message },
            call.identity,
          );
          if (ctx.queues.contains(queue.id, task.id)) {
            throw apiError('task_already_queued', undefined, { queue: queue.id, task: task.id });
          }
          if (previous !== 'queued') task.enqueue_status = previous;
          if (task.system_tags.includes('development')) {
            task.system_tags = task.system_tags.filter((tag) => tag !== 'development');
            fields.system_tags = task.system_tags;
          }
          ctx.queues.removeEverywhere(task.id);
          queueOps.push(queue.id, task.id);
          if (request.update_execution_queue !== false) {
            task.execution = { ...task.execution, queue: queue.id };
            fields['execution.queue'] = queue.id;
          }
          ctx.tasks.save(task);
          const response: JsonObject = { queued: 1, updated: 1, fields };
          if (request.verify_watched_queue) {
            response.queue_watched = ctx.workers.live(ctx.now()).some((worker) => worker.queues.includes(queue.id));
          }
          return response;
        });
      },
    },
    {
      name: 'tasks.dequeue',
      versions: ['1.5', '2.25', '2.26'],
      handle(call) {
        const request = parseRequest(requests.dequeue, call.body);
        if (request.new_status !== undefined && !isTaskStatus(request.new_status)) {
          throw apiError('validation_error', 'unknown task status', { new_status: request.new_status });
        }
        return inTransaction(() => {
          const task = ctx.tasks.get(request.task);
          if (!task) {
            ctx.queues.removeEverywhere(request.task);
            return { dequeued: 1, updated: 0 };
          }
          const queueId = typeof task.execution?.queue === 'string' ? task.execution.queue : undefined;
          let removed = queueId !== undefined && ctx.queues.remove(queueId, task.id);
          if (request.remove_from_all_queues) removed = ctx.queues.removeEverywhere(task.id).length > 0 || removed;
          if (task.status !== 'queued' && task.status !== 'in_progress') {
            return { dequeued: removed ? 1 : 0, updated: 0 };
          }
          const target = (request.new_status as TaskStatus | undefined) ?? taskOps.statusBeforeEnqueue(task);
          const fields = taskOps.setStatus(
            task,
            target,
            { force: true, reason: request.status_reason, message: request.status_message },
            call.identity,
          );
          if (task.execution && 'queue' in task.execution) {
            const execution = { ...task.execution };
            delete execution.queue;
            task.execution = execution;
          }
          ctx.tasks.save(task);
          return { dequeued: removed ? 1 : 0, updated: 1, fields };
        });
      },
    },
    {
      name: 'tasks.reset',
      versions: ['2.1', '2.13', '2.21'],
      handle(call) {
        const request = parseRequest(requests.reset, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          if (task.status === 'published' && !request.force) {
            throw apiError('invalid_task_status', 'a published task is reset only with force:true', { task: task.id });
          }
          const removed = ctx.queues.removeEverywhere(task.id).length;
          ctx.events.deleteForTask(task.id);
          const fields = taskOps.setStatus(
            task,
            'created',
            { force: true, reason: request.status_reason || 'reset', message: request.status_message || 'reset' },
            call.identity,
          );
          for (const key of [
            'runtime',
            'last_metrics',
            'last_iteration',
            'last_worker',
            'last_worker_report',
            'last_worker_timeout_sec',
            'started',
            'completed',
            'published',
            'active_duration',
            'enqueue_status',
          ]) {
            delete task[key];
          }
          if (request.clear_all) {
            task.execution = {};
            delete task.script;
          } else {
            const execution = { ...task.execution };
            delete execution.queue;
            if (Array.isArray(execution.artifacts)) {
              execution.artifacts = (execution.artifacts as JsonObject[]).filter((artifact) => artifact.mode === 'input');
            }
            task.execution = execution;
          }
          // Draft output models nobody else uses go with the run (delete_output_models, default true).
          const models = modelOps.releaseTaskOutputs(task, request.delete_output_models !== false, true);
          if (task.models?.output) task.models = { ...task.models, output: [] };
          fields.last_update = task.last_update = isoDate(ctx.now());
          // Cleared fields come back as ClearML's empty defaults (runtime {}, last_metrics {}, ...).
          ctx.tasks.save(withTaskDefaults(task));
          const urls = request.return_file_urls ? { model_urls: models.deletedUris, event_urls: [], artifact_urls: [] } : null;
          return { updated: 1, fields, dequeued: { removed }, deleted_models: models.deletedUris.length, urls };
        });
      },
    },
  ];
}
