import { z } from 'zod';
import { bool } from '../request-fields.js';
import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import type { ConfigurationItem, ParamItem, TaskDoc } from '../tasks/task-document.js';
import type { TaskOperations } from '../tasks/task-operations.js';
import { parseRequest } from '../validation.js';

const paramValue = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));
const taskIds = z.union([z.string(), z.array(z.string())]).transform((value) => (typeof value === 'string' ? [value] : value));

const requests = {
  getHyperParams: z.object({ tasks: taskIds }),
  editHyperParams: z.object({
    task: z.string(),
    hyperparams: z.array(
      z.object({
        section: z.string(),
        name: z.string(),
        value: paramValue,
        type: z.string().optional(),
        description: z.string().optional(),
      }),
    ),
    replace_hyperparams: z.enum(['none', 'section', 'all']).optional(),
    force: bool.optional(),
  }),
  deleteHyperParams: z.object({
    task: z.string(),
    hyperparams: z.array(z.object({ section: z.string(), name: z.string().optional() })),
    force: bool.optional(),
  }),
  getConfigurations: z.object({ tasks: taskIds, names: z.array(z.string()).optional() }),
  getConfigurationNames: z.object({ tasks: taskIds, skip_empty: bool.optional() }),
  editConfiguration: z.object({
    task: z.string(),
    configuration: z.array(
      z.object({ name: z.string(), value: paramValue, type: z.string().optional(), description: z.string().optional() }),
    ),
    replace_configuration: bool.optional(),
    force: bool.optional(),
  }),
};

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const byKey = <T>(items: T[], key: (item: T) => string): T[] => [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/** The user-properties section: writable in any status, and not a liveness signal. */
const isPropertiesSection = (section: string) => section.toLowerCase() === 'properties';

/**
 * Hyperparameter and configuration edits are for created tasks (in_progress with force),
 * except that the `properties` section is writable at any time.
 */
function checkParamsEditable(task: TaskDoc, force: boolean | undefined, sections: readonly string[]): void {
  if (sections.length > 0 && sections.every(isPropertiesSection)) return;
  if (task.status === 'created' || (force && task.status === 'in_progress')) return;
  throw apiError('invalid_task_status', 'parameters can be edited only in created tasks (in_progress with force:true)', {
    task: task.id,
    status: task.status,
  });
}

export function taskParamsEndpoints(ctx: ServerContext, taskOps: TaskOperations): EndpointDefinition[] {
  const inTransaction = <T>(fn: () => T): T => ctx.db.transaction(fn)();

  const touchUnlessProperties = (task: TaskDoc, sections: readonly string[]) => {
    if (sections.length > 0 && sections.every(isPropertiesSection)) return;
    const now = isoDate(ctx.now());
    task.last_update = now;
    task.last_change = now;
  };

  return [
    {
      name: 'tasks.get_hyper_params',
      versions: ['2.9'],
      handle(call) {
        const request = parseRequest(requests.getHyperParams, call.body);
        const params = request.tasks.map((id) => {
          const task = taskOps.require(id);
          const items = Object.values(task.hyperparams ?? {}).flatMap((section) => Object.values(section));
          return { task: id, hyperparams: byKey(items, (item) => `${item.section}\u0000${item.name}`) };
        });
        return { params };
      },
    },
    {
      name: 'tasks.edit_hyper_params',
      versions: ['2.9'],
      handle(call) {
        const request = parseRequest(requests.editHyperParams, call.body);
        for (const item of request.hyperparams) {
          if (item.section.trim() === '' || item.name.trim() === '') {
            throw apiError('validation_error', 'hyperparameter section and name must not be empty');
          }
        }
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          const sections = [...new Set(request.hyperparams.map((item) => item.section))];
          checkParamsEditable(task, request.force, sections);
          const replace = request.replace_hyperparams ?? 'none';
          const hyperparams: TaskDoc['hyperparams'] = replace === 'all' ? {} : { ...task.hyperparams };
          if (replace === 'section') for (const section of sections) delete hyperparams[section];
          for (const item of request.hyperparams) {
            const section = Object.hasOwn(hyperparams, item.section) ? { ...hyperparams[item.section] } : {};
            const param: ParamItem = { section: item.section, name: item.name, value: item.value };
            if (item.type !== undefined) param.type = item.type;
            if (item.description !== undefined) param.description = item.description;
            defineOwn(section, item.name, param);
            defineOwn(hyperparams, item.section, section);
          }
          task.hyperparams = hyperparams;
          touchUnlessProperties(task, sections);
          ctx.tasks.save(task);
          return { updated: 1 };
        });
      },
    },
    {
      name: 'tasks.delete_hyper_params',
      versions: ['2.9'],
      handle(call) {
        const request = parseRequest(requests.deleteHyperParams, call.body);
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          const sections = [...new Set(request.hyperparams.map((item) => item.section))];
          checkParamsEditable(task, request.force, sections);
          const hyperparams: TaskDoc['hyperparams'] = { ...task.hyperparams };
          let deleted = 0;
          for (const item of request.hyperparams) {
            if (!Object.hasOwn(hyperparams, item.section)) continue;
            if (item.name === undefined) {
              deleted += Object.keys(hyperparams[item.section] ?? {}).length;
              delete hyperparams[item.section];
              continue;
            }
            const section = { ...hyperparams[item.section] };
            if (!Object.hasOwn(section, item.name)) continue;
            delete section[item.name];
            deleted++;
            if (Object.keys(section).length === 0) delete hyperparams[item.section];
            else defineOwn(hyperparams, item.section, section);
          }
          task.hyperparams = hyperparams;
          touchUnlessProperties(task, sections);
          ctx.tasks.save(task);
          return { deleted };
        });
      },
    },
    {
      name: 'tasks.get_configurations',
      versions: ['2.9'],
      handle(call) {
        const request = parseRequest(requests.getConfigurations, call.body);
        const configurations = request.tasks.map((id) => {
          const task = taskOps.require(id);
          let items = Object.values(task.configuration ?? {});
          if (request.names) items = items.filter((item) => request.names?.includes(item.name));
          return { task: id, configuration: byKey(items, (item) => item.name) };
        });
        return { configurations };
      },
    },
    {
      name: 'tasks.get_configuration_names',
      versions: ['2.9'],
      handle(call) {
        const request = parseRequest(requests.getConfigurationNames, call.body);
        const skipEmpty = request.skip_empty ?? true;
        const configurations = request.tasks.map((id) => {
          const task = taskOps.require(id);
          const names = Object.values(task.configuration ?? {})
            .filter((item) => !skipEmpty || item.value !== '')
            .map((item) => item.name)
            .sort();
          return { task: id, names };
        });
        return { configurations };
      },
    },
    {
      name: 'tasks.edit_configuration',
      versions: ['2.9'],
      handle(call) {
        const request = parseRequest(requests.editConfiguration, call.body);
        if (request.configuration.some((item) => item.name.trim() === '')) {
          throw apiError('validation_error', 'configuration names must not be empty');
        }
        return inTransaction(() => {
          const task = taskOps.require(request.task);
          checkParamsEditable(task, request.force, []);
          const configuration: TaskDoc['configuration'] = request.replace_configuration ? {} : { ...task.configuration };
          for (const item of request.configuration) {
            const entry: ConfigurationItem = { name: item.name, value: item.value };
            if (item.type !== undefined) entry.type = item.type;
            if (item.description !== undefined) entry.description = item.description;
            defineOwn(configuration, item.name, entry);
          }
          task.configuration = configuration;
          touchUnlessProperties(task, []);
          ctx.tasks.save(task);
          return { updated: 1 };
        });
      },
    },
  ];
}
