import type { QueuesService } from './services/queues.js';
import type { ProjectsService } from './services/projects.js';

/** Anything that looks like a server id is used as-is; everything else is a name (reference §1.1). */
export const clearmlIdPattern = /^[-a-f0-9]{30,}$/;

export function looksLikeClearmlId(value: string): boolean {
  return clearmlIdPattern.test(value);
}

/** A regex matching exactly `name` (the server's name filters are regexes searched anywhere). */
export function exactNameRegex(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

export class NameNotFoundError extends Error {
  override name = 'NameNotFoundError';
  constructor(
    readonly objectKind: 'queue' | 'project',
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}

/** Picks the one object named `name`: exact match first, else the only case-insensitive match. */
function pickByName<T extends { id: string; name?: string | null }>(candidates: readonly T[], name: string, kind: 'queue' | 'project'): T | undefined {
  const exact = candidates.filter((c) => c.name === name);
  if (exact.length >= 1) return exact[0];
  const folded = candidates.filter((c) => c.name?.toLowerCase() === name.toLowerCase());
  if (folded.length > 1) {
    const names = folded.map((c) => `"${c.name}" (${c.id})`).join(', ');
    throw new NameNotFoundError(kind, name, `${kind} name "${name}" is ambiguous: ${names}; give the exact name or the id`);
  }
  return folded[0];
}

/** Queue name or id → id. Throws NameNotFoundError naming the queue when there is none. */
export async function resolveQueueId(queues: QueuesService, nameOrId: string): Promise<string> {
  const wanted = nameOrId.trim();
  if (looksLikeClearmlId(wanted)) return wanted;
  const candidates = await queues.getAll({ name: exactNameRegex(wanted), onlyFields: ['id', 'name'], searchHidden: true });
  const match = pickByName(candidates, wanted, 'queue');
  if (!match) {
    throw new NameNotFoundError('queue', wanted, `queue "${wanted}" not found; create it (e.g. \`tray-agent daemon --queue ${wanted} --create-queue\`) or give an existing queue name or id`);
  }
  return match.id;
}

/** Project name or id → id; with `create`, a missing project is created. */
export async function resolveProjectId(projects: ProjectsService, nameOrId: string, options: { create: boolean }): Promise<string> {
  const wanted = nameOrId.trim();
  if (looksLikeClearmlId(wanted)) return wanted;
  const candidates = await projects.getAll({ name: exactNameRegex(wanted), onlyFields: ['id', 'name'], searchHidden: true });
  const match = pickByName(candidates, wanted, 'project');
  if (match) return match.id;
  if (options.create) return (await projects.create({ name: wanted })).id;
  throw new NameNotFoundError('project', wanted, `project "${wanted}" not found; give an existing project name or id`);
}
