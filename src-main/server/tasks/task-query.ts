import { z } from 'zod';
import type { ApiVersion } from '../api-version.js';
import type { JsonObject } from '../http/request-params.js';
import { getPath, idFilter, listFilter, listQueryFields, paginate, projectFields, sortDocs, stringListFilter } from '../list-query.js';
import type { TaskStore } from '../store/task-store.js';
import type { TaskDoc } from './task-document.js';
import { renderTask } from './task-shapes.js';

export const taskQuerySchema = z.object({
  id: idFilter,
  name: z.string().optional(),
  user: stringListFilter,
  project: stringListFilter,
  parent: stringListFilter,
  type: stringListFilter,
  status: stringListFilter,
  tags: stringListFilter,
  system_tags: stringListFilter,
  search_text: z.string().optional(),
  ...listQueryFields,
});

export type TaskQuery = z.output<typeof taskQuerySchema>;

/** Dotted-key filters (`"execution.queue": "..."`) sent as literal keys of the JSON body. */
function dottedFilters(body: JsonObject): Array<[string, unknown[]]> {
  return Object.entries(body)
    .filter(([key]) => key.includes('.') && !key.startsWith('.') && !key.endsWith('.'))
    .map(([key, value]) => [key, Array.isArray(value) ? value : [value]]);
}

const positive = (values: readonly string[] | undefined) =>
  values && values.every((value) => !value.startsWith('-')) ? values : undefined;

/**
 * tasks.get_all: filters, hidden-task rule (system tag `hidden` needs search_hidden or id),
 * order, paging, then version shaping and only_fields projection.
 */
export function queryTasks(store: TaskStore, query: TaskQuery, body: JsonObject, version: ApiVersion): JsonObject[] {
  const listed = listFilter<TaskDoc>(query, {
    values: { user: query.user, project: query.project, parent: query.parent, type: query.type, status: query.status },
    searchIn: (task) => `${task.id} ${task.name} ${task.comment ?? ''}`,
  });
  const showHidden = query.search_hidden === true || query.id !== undefined;
  const extra = dottedFilters(body);
  const candidates = store.list({
    ids: query.id,
    statuses: positive(query.status),
    projects: positive(query.project),
    parents: positive(query.parent),
  });
  const matches = (task: TaskDoc): boolean => {
    if (!listed(task)) return false;
    if (!showHidden && task.system_tags.includes('hidden')) return false;
    for (const [path, accepted] of extra) {
      const value = getPath(task, path);
      if (!accepted.some((candidate) => candidate === value)) return false;
    }
    return true;
  };
  const selected = paginate(sortDocs(candidates.filter(matches), query.order_by), query.page, query.page_size);
  return selected.map((task) => projectFields(renderTask(task, version), query.only_fields));
}
