// sbatch template rendering (reference §7.4): `${CLEARML_<spec>[:default]}` replaced with job
// info, task fields and the glue's blocks. Pure: the caller reads the task and the project name.
// Anything else in the script — `${HOME}`, `$SLURM_JOB_ID` — is left for bash.

export interface SlurmTemplate {
  /** Shown in errors: the file name as given on the command line. */
  readonly name: string;
  readonly text: string;
}

export interface TemplateBlocks {
  readonly preSetup: string;
  readonly agentExecute: string;
  readonly postSetup: string;
}

export interface TemplateContext {
  readonly queue: { readonly id: string; readonly name: string };
  readonly workerId: string;
  /** The task as the server returns it (tasks.get_by_id). */
  readonly task: Readonly<Record<string, unknown>> & { readonly id: string };
  /** Needed only when the template uses `${CLEARML_TASK.project.name}`. */
  readonly projectName?: string | null;
  readonly blocks: TemplateBlocks;
}

/** A variable that cannot be rendered; the task fails with this message and nothing is submitted. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    message: string,
    readonly template: string,
    readonly line: number,
    readonly variable: string,
  ) {
    super(message);
  }
}

export interface TemplateVariable {
  /** As written, e.g. `${CLEARML_TASK.hyperparams.properties.num_nodes.value:1}`. */
  readonly text: string;
  /** `CLEARML_TASK.hyperparams.properties.num_nodes.value`. */
  readonly spec: string;
  /** null when there is no `:default`. */
  readonly fallback: string | null;
  readonly line: number;
}

const JOB_VARIABLES = ['CLEARML_QUEUE_NAME', 'CLEARML_QUEUE_ID', 'CLEARML_WORKER_ID'] as const;
const BLOCK_VARIABLES = { CLEARML_PRE_SETUP: 'preSetup', CLEARML_AGENT_EXECUTE: 'agentExecute', CLEARML_POST_SETUP: 'postSetup' } as const;
export const knownVariableNames = [...JOB_VARIABLES, 'CLEARML_TASK.<field>', ...Object.keys(BLOCK_VARIABLES)];

// `${CLEARML_` up to the closing brace; the spec stops at the first `:` (the default follows).
const VARIABLE = /\$\{(CLEARML_[^}:]*)(?::([^}]*))?\}/g;
const UNTERMINATED = /\$\{CLEARML_[^}]*$/;

/** Every `${CLEARML_…}` of the template with its line (1-based); throws on an unterminated one. */
export function templateVariables(template: SlurmTemplate): TemplateVariable[] {
  const found: TemplateVariable[] = [];
  template.text.split('\n').forEach((lineText, index) => {
    const line = index + 1;
    for (const match of lineText.matchAll(VARIABLE)) {
      found.push({ text: match[0], spec: match[1]!, fallback: match[2] ?? null, line });
    }
    const rest = lineText.replace(VARIABLE, '');
    if (UNTERMINATED.test(rest)) {
      const text = UNTERMINATED.exec(rest)![0];
      throw new TemplateError(`${template.name} line ${line}: ${text} has no closing "}"`, template.name, line, text);
    }
  });
  return found;
}

type Lookup = { found: true; value: string } | { found: false; why: 'missing' | 'unknown' | 'not-a-value'; detail?: string };

function scalarText(value: unknown): Lookup {
  if (value === undefined || value === null) return { found: false, why: 'missing' };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return { found: true, value: String(value) };
  if (Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) return { found: true, value: value.join(',') };
  const keys = typeof value === 'object' ? Object.keys(value as object).slice(0, 8).join(', ') : typeof value;
  return { found: false, why: 'not-a-value', detail: `it holds ${Array.isArray(value) ? 'a list' : `an object (${keys})`}` };
}

/** `hyperparams.<section>.<name>.<field>`; a name may itself contain dots. */
function lookupHyperparam(task: TemplateContext['task'], path: string[]): Lookup {
  const sections = task['hyperparams'] as Record<string, Record<string, Record<string, unknown>>> | null | undefined;
  const [section, ...rest] = path;
  if (!section || rest.length === 0) return { found: false, why: 'not-a-value', detail: 'give a section and a name: CLEARML_TASK.hyperparams.<section>.<name>.value' };
  const params = sections?.[section];
  const last = rest[rest.length - 1]!;
  const field = ['value', 'type', 'description', 'section', 'name'].includes(last) && rest.length > 1 ? last : 'value';
  const name = (field === last && rest.length > 1 ? rest.slice(0, -1) : rest).join('.');
  const param = params?.[name];
  if (!param) return { found: false, why: 'missing' };
  return scalarText(param[field]);
}

function lookupTaskField(ctx: TemplateContext, path: string[]): Lookup {
  const [head, ...rest] = path;
  if (head === undefined || head === '') return { found: false, why: 'unknown' };
  if (head === 'hyperparams') return lookupHyperparam(ctx.task, rest);
  if (head === 'project') {
    // ClearML keeps the project id in `project`; `.id` and `.name` read as the docs write them.
    if (rest.length === 0 || (rest.length === 1 && rest[0] === 'id')) return scalarText(ctx.task['project']);
    if (rest.length === 1 && rest[0] === 'name') return scalarText(ctx.projectName);
    return { found: false, why: 'unknown' };
  }
  let value: unknown = ctx.task;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { found: false, why: 'missing' };
    value = (value as Record<string, unknown>)[key];
  }
  return scalarText(value);
}

function lookup(ctx: TemplateContext, spec: string): Lookup {
  switch (spec) {
    case 'CLEARML_QUEUE_NAME':
      return { found: true, value: ctx.queue.name };
    case 'CLEARML_QUEUE_ID':
      return { found: true, value: ctx.queue.id };
    case 'CLEARML_WORKER_ID':
      return { found: true, value: ctx.workerId };
  }
  if (spec in BLOCK_VARIABLES) return { found: true, value: ctx.blocks[BLOCK_VARIABLES[spec as keyof typeof BLOCK_VARIABLES]] };
  if (spec.startsWith('CLEARML_TASK.')) return lookupTaskField(ctx, spec.slice('CLEARML_TASK.'.length).split('.'));
  return { found: false, why: 'unknown' };
}

/** True when rendering needs the project's name (one more server call). */
export function needsProjectName(template: SlurmTemplate): boolean {
  return templateVariables(template).some((v) => v.spec === 'CLEARML_TASK.project.name');
}

/**
 * The batch script for one task. A variable without a value takes its `:default` (also when the
 * field is empty); without one it is a TemplateError naming the variable and the line. Values
 * go in as they are, except that newlines become spaces (a task name must not end an
 * `#SBATCH` line); the three blocks go in whole.
 */
export function renderSlurmTemplate(template: SlurmTemplate, ctx: TemplateContext): string {
  const variables = templateVariables(template);
  const lines = template.text.split('\n');
  const byLine = new Map<number, TemplateVariable[]>();
  for (const v of variables) byLine.set(v.line, [...(byLine.get(v.line) ?? []), v]);
  return lines
    .map((lineText, index) => {
      const line = index + 1;
      if (!byLine.has(line)) return lineText;
      return lineText.replace(VARIABLE, (text: string, spec: string, fallback: string | undefined) => {
        const result = lookup(ctx, spec);
        const isBlock = spec in BLOCK_VARIABLES;
        if (result.found && (result.value !== '' || fallback === undefined)) return isBlock ? result.value : result.value.replace(/\r?\n/g, ' ');
        if (fallback !== undefined && (result.found || result.why !== 'not-a-value')) return fallback;
        const where = `${template.name} line ${line}`;
        if (!result.found && result.why === 'unknown') {
          throw new TemplateError(`${where}: unknown variable ${text}; known: ${knownVariableNames.join(', ')} (or give a default: \${${spec}:value})`, template.name, line, text);
        }
        if (!result.found && result.why === 'not-a-value') {
          throw new TemplateError(`${where}: ${text} is not a single value (${result.detail ?? ''}); name a field inside it`, template.name, line, text);
        }
        throw new TemplateError(`${where}: ${text} has no value for task ${ctx.task.id} and no default; set it on the task or give a default (\${${spec}:value})`, template.name, line, text);
      });
    })
    .join('\n');
}
