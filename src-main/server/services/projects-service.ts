import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { isoDate } from '../datetime.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';
import type { Identity } from '../identity.js';
import { newId } from '../ids.js';
import { idFilter, listFilter, listQueryFields, paginate, projectFields, sortDocs, stringListFilter } from '../list-query.js';
import type { ProjectDoc } from '../store/project-store.js';
import { parseRequest } from '../validation.js';

const requests = {
  getAll: z.object({
    id: idFilter,
    name: z.string().optional(),
    basename: z.string().optional(),
    tags: stringListFilter,
    system_tags: stringListFilter,
    ...listQueryFields,
  }),
  getById: z.object({ project: z.string() }),
  create: z.object({
    name: z.string(),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    system_tags: z.array(z.string()).optional(),
    default_output_destination: z.string().optional(),
  }),
};

type CreateFields = Omit<z.output<typeof requests.create>, 'name'>;

export function createProject(ctx: ServerContext, identity: Identity, rawName: string, fields: CreateFields = {}): ProjectDoc {
  const name = rawName.trim();
  if (name.length < 3) throw apiError('data_validation_error', 'project name must be at least 3 characters', { name });
  if (ctx.projects.getByName(name)) throw apiError('expected_unique_data', 'a project with this name exists', { name });
  const now = isoDate(ctx.now());
  const project: ProjectDoc = {
    id: newId(),
    name,
    basename: name.split('/').at(-1) ?? name,
    description: fields.description ?? '',
    user: identity.user,
    company: identity.company,
    created: now,
    last_update: now,
    tags: fields.tags ?? [],
    system_tags: fields.system_tags ?? [],
  };
  if (fields.default_output_destination !== undefined) project.default_output_destination = fields.default_output_destination;
  ctx.projects.insert(project);
  return project;
}

export function findOrCreateProject(ctx: ServerContext, identity: Identity, name: string): ProjectDoc {
  return ctx.projects.getByName(name.trim()) ?? createProject(ctx, identity, name);
}

/** The slice of projects.* the SDK calls (Task.init, clone into a new project). */
export function projectsEndpoints(ctx: ServerContext): EndpointDefinition[] {
  return [
    {
      name: 'projects.get_all',
      versions: ['2.1', '2.13', '2.15'],
      handle(call) {
        const request = parseRequest(requests.getAll, call.body);
        const listed = listFilter(request);
        const showHidden = request.search_hidden === true || request.id !== undefined;
        let projects = ctx.projects.all().filter((project) => {
          if (!listed(project)) return false;
          if (request.basename !== undefined && project.basename !== request.basename) return false;
          if (!showHidden && project.system_tags.includes('hidden')) return false;
          return true;
        });
        projects = paginate(sortDocs(projects, request.order_by), request.page, request.page_size);
        return { projects: projects.map((project) => projectFields({ ...project }, request.only_fields)) };
      },
    },
    {
      name: 'projects.get_by_id',
      versions: ['2.1'],
      handle(call) {
        const request = parseRequest(requests.getById, call.body);
        const project = ctx.projects.get(request.project);
        if (!project) throw apiError('invalid_project_id', undefined, { id: request.project });
        return { project };
      },
    },
    {
      name: 'projects.create',
      versions: ['2.1'],
      handle(call) {
        const { name, ...fields } = parseRequest(requests.create, call.body, { missingFields: 'missing_required_fields' });
        return ctx.db.transaction(() => ({ id: createProject(ctx, call.identity, name, fields).id }))();
      },
    },
  ];
}
