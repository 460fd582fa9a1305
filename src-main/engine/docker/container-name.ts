/**
 * `agent.docker_container_name_format`, e.g. `clearml-id-{task_id}-{rand_string:.8}` (reference
 * §2.5): fields `task_id`, `worker_id`, `rand_string` (32 lowercase letters) and the names of
 * `agent.docker_container_name_format_fields` (name → dotted task field). `{name:.N}` keeps the
 * first N characters, as Python's format does. A name docker would refuse is dropped with a
 * warning (the container then gets docker's own name). Pure, given `random`.
 */

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface ContainerNameInput {
  readonly format: string | null;
  readonly taskId: string;
  readonly workerId: string;
  readonly task: Record<string, unknown>;
  /** Extra fields: name → dotted path into the task record (`project`, `hyperparams.Args.x.value`). */
  readonly fields: Readonly<Record<string, string>>;
  /** Source of randomness in [0, 1). */
  readonly random?: () => number;
}

export type ContainerNameResult = { name: string | null; warning: string | null };

function readPath(record: Record<string, unknown>, dotted: string): unknown {
  let current: unknown = record;
  for (const part of dotted.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function formatContainerName(input: ContainerNameInput): ContainerNameResult {
  if (!input.format) return { name: null, warning: null };
  const random = input.random ?? Math.random;
  const randString = Array.from({ length: 32 }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
  const values: Record<string, string> = { task_id: input.taskId, worker_id: input.workerId, rand_string: randString };
  for (const [name, path] of Object.entries(input.fields)) {
    const value = readPath(input.task, path);
    values[name] = value === undefined || value === null ? '' : String(value);
  }
  let unknown: string | null = null;
  const name = input.format.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(?::\.(\d+))?\}/g, (_, field: string, length: string | undefined) => {
    const value = values[field];
    if (value === undefined) {
      unknown ??= field;
      return '';
    }
    return length === undefined ? value : value.slice(0, Number(length));
  });
  if (unknown !== null) {
    return { name: null, warning: `agent.docker_container_name_format "${input.format}": unknown field {${unknown}} (known: ${Object.keys(values).join(', ')}); the container gets docker's own name` };
  }
  if (!DOCKER_NAME.test(name)) {
    return { name: null, warning: `agent.docker_container_name_format "${input.format}" gives "${name}", which docker does not accept as a name (letters, digits, _ . - only); the container gets docker's own name` };
  }
  return { name, warning: null };
}
