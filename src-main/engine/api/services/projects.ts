import { z } from 'zod';
import { endpointVersions } from '../endpoint-versions.js';
import { readData } from '../models.js';
import type { ApiSession } from '../session.js';

const projectSchema = z.looseObject({ id: z.string(), name: z.string().nullish() });
export type Project = z.infer<typeof projectSchema>;

export function createProjectsService(session: ApiSession) {
  const v = endpointVersions;
  return {
    /** `name` is a regex searched anywhere (server semantics). */
    async getAll(query: { id?: string[]; name?: string; onlyFields?: string[]; searchHidden?: boolean } = {}): Promise<Project[]> {
      const body = { id: query.id, name: query.name, only_fields: query.onlyFields, search_hidden: query.searchHidden };
      const data = await session.call('projects.get_all', body, { version: v['projects.get_all'] });
      return readData(z.looseObject({ projects: z.array(projectSchema).nullish().transform((p) => p ?? []) }), data, 'projects.get_all').projects;
    },
    async create(request: { name: string; description?: string }): Promise<{ id: string }> {
      const data = await session.call('projects.create', { name: request.name, description: request.description }, { version: v['projects.create'] });
      return readData(z.looseObject({ id: z.string() }), data, 'projects.create');
    },
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
