import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import {
  buildCliArgsHyperparams,
  cliArgsForTask,
  cliArgsSystemTag,
  finalTaskStatuses,
  taskStatuses,
  type ApiClient,
  type Task,
  type TaskLogEvent,
} from '../../engine/api/index.js';
import { connectApiClient, interactiveRetryOverrides } from '../../engine/api/from-config.js';
import { followTaskLog } from '../../engine/api/task-log-follower.js';
import { commandAction, UsageError, usageErrorsExitWith2 } from '../command-errors.js';
import { terminalRedactor, type TextRedactor } from '../terminal-output.js';
import { maskUrlPasswords } from '../../engine/config/index.js';

// Task records and logs may hold secrets (a `user:password@` repository URL, a log written by an
// agent that does not redact): everything printed passes the terminal redactor.
let redact: TextRedactor = maskUrlPasswords;

function write(text: string): void {
  process.stdout.write(redact(text));
}

/** The global `--config-file` of the program this command belongs to. */
function configFileOf(command: Command): string | undefined {
  const value = command.optsWithGlobals()['configFile'];
  return typeof value === 'string' ? value : undefined;
}

export async function clientFor(command: Command): Promise<ApiClient> {
  const secretsRedactor = await terminalRedactor(configFileOf(command));
  redact = (text) => maskUrlPasswords(secretsRedactor(text));
  return connectApiClient({
    configFile: configFileOf(command),
    overrides: interactiveRetryOverrides,
    logger: (level, msg) => {
      if (level === 'warn' || level === 'error') process.stderr.write(`tray-agent: ${msg}\n`);
    },
  });
}

/** Left-aligned columns separated by two spaces. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Server datetimes (ISO strings, or epoch ms elsewhere) as `YYYY-MM-DD HH:MM:SS` UTC. */
export function formatDatetime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

function requireTaskId(id: string | undefined): string {
  const trimmed = (id ?? '').trim();
  if (!trimmed) throw new UsageError('missing task id: give the id shown by `tray-agent task list`');
  return trimmed;
}

// ---------------------------------------------------------------------------------------------
// task create

interface CreateOptions {
  name?: string;
  project?: string;
  type: string;
  repo?: string;
  branch?: string;
  commit?: string;
  tag?: string;
  script?: string;
  module?: string;
  workingDir?: string;
  args?: string;
  arg: string[];
  packages?: string[];
  requirementsFile?: string;
  dockerImage?: string;
  dockerArgs?: string;
  setupScript?: string;
  binary: string;
  queue?: string;
}

async function readInputFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`${flag} ${path}: cannot read it (${reason}); give an existing file`);
  }
}

function parseNamedArg(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--arg "${text}" is not name=value; write e.g. --arg lr=0.1`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** Checks the flags and builds the tasks.create request (without the project, resolved later). */
export async function planTaskCreation(options: CreateOptions): Promise<Parameters<ApiClient['tasks']['create']>[0]> {
  const name = options.name?.trim();
  if (!name) throw new UsageError('missing --name: give the task a name, e.g. --name "train resnet"');
  if (name.length < 3) throw new UsageError(`--name "${name}" is too short: task names need at least 3 characters`);
  const refs = (['branch', 'commit', 'tag'] as const).filter((key) => options[key] !== undefined);
  if (refs.length > 1) throw new UsageError(`--${refs.join(' and --')} exclude each other: give one of --branch, --commit or --tag`);
  if (refs.length === 1 && !options.repo) throw new UsageError(`--${refs[0]} needs --repo (the git repository to check out)`);
  if (options.script && options.module) throw new UsageError('--script and --module exclude each other: give one entry point');
  if (!options.script && !options.module) throw new UsageError('missing entry point: give --script file.py or --module package.module');
  if (options.dockerArgs !== undefined && !options.dockerImage) throw new UsageError('--docker-args needs --docker-image');
  if (options.setupScript !== undefined && !options.dockerImage) throw new UsageError('--setup-script needs --docker-image (it runs inside the container)');

  const script: Record<string, unknown> = {
    binary: options.binary,
    repository: options.repo ?? '',
    branch: options.branch ?? '',
    version_num: options.commit ?? '',
    tag: options.tag ?? '',
    working_dir: options.workingDir ?? '.',
  };
  if (options.module) {
    script['entry_point'] = `-m ${options.module}`;
  } else if (options.script && options.repo) {
    script['entry_point'] = options.script;
  } else if (options.script) {
    // No repository: the file itself travels with the task as a "literal script" (script.diff).
    script['diff'] = await readInputFile(options.script, '--script');
    script['entry_point'] = basename(options.script);
    script['working_dir'] = options.workingDir ?? '.';
  }
  const requirementLines = [...(options.packages ?? [])];
  if (options.requirementsFile) requirementLines.push(...(await readInputFile(options.requirementsFile, '--requirements-file')).split(/\r?\n/));
  const pip = requirementLines.map((line) => line.trim()).filter((line) => line !== '');
  if (pip.length > 0) script['requirements'] = { pip: pip.join('\n') + '\n' };

  const hyperparams = buildCliArgsHyperparams({ argsString: options.args, namedArgs: options.arg.map(parseNamedArg) });
  const container = options.dockerImage
    ? {
        image: options.dockerImage,
        arguments: options.dockerArgs ?? '',
        setup_shell_script: options.setupScript ? await readInputFile(options.setupScript, '--setup-script') : '',
      }
    : undefined;
  return { name, type: options.type, script, hyperparams, container, systemTags: [cliArgsSystemTag] };
}

async function enqueueTask(client: ApiClient, taskId: string, queue: string): Promise<void> {
  const queueId = await client.queues.resolveId(queue);
  await client.tasks.enqueue({ task: taskId, queue: queueId, statusReason: 'enqueued with tray-agent task' });
  process.stderr.write(`task ${taskId} queued in ${queue}\n`);
}

// ---------------------------------------------------------------------------------------------
// task list / show

function validateStatuses(statuses: readonly string[]): string[] {
  const known: readonly string[] = taskStatuses;
  for (const status of statuses) {
    if (!known.includes(status)) {
      throw new UsageError(`unknown status "${status}": use one of ${taskStatuses.join(', ')}`);
    }
  }
  return [...statuses];
}

function describeStatus(task: Task): string {
  const status = task.status ?? 'unknown';
  return status === 'in_progress' && task.status_message?.includes('stopping') ? 'in_progress (stopping)' : status;
}

export function formatTaskBlock(task: Task): string {
  const rows: Array<[string, string]> = [
    ['id', task.id],
    ['name', task.name ?? ''],
    ['status', describeStatus(task)],
  ];
  if (task.status_reason) rows.push(['status reason', task.status_reason]);
  if (task.status_message) rows.push(['status message', task.status_message]);
  rows.push(['type', task.type ?? '']);
  if (task.project) rows.push(['project', task.project]);
  if (task.execution?.queue) rows.push(['queue', task.execution.queue]);
  if (task.last_worker) rows.push(['last worker', task.last_worker]);
  rows.push(['created', formatDatetime(task.created)], ['started', formatDatetime(task.started)], ['completed', formatDatetime(task.completed)], ['last update', formatDatetime(task.last_update)]);
  const script = task.script;
  if (script?.repository) rows.push(['repository', script.repository]);
  const ref = script?.version_num ? `commit ${script.version_num}` : script?.tag ? `tag ${script.tag}` : script?.branch ? `branch ${script.branch}` : '';
  if (ref) rows.push(['revision', ref]);
  if (script?.entry_point) rows.push(['entry point', script.entry_point]);
  if (script?.working_dir) rows.push(['working dir', script.working_dir]);
  if (script?.binary) rows.push(['binary', script.binary]);
  if (script?.diff && !script.repository) rows.push(['script', `literal script, ${script.diff.length} characters`]);
  const cliArgs = cliArgsForTask(task);
  if (cliArgs !== null && cliArgs.length > 0) rows.push(['arguments', cliArgs.map((a) => (/[\s"'\\$]/.test(a) ? JSON.stringify(a) : a)).join(' ')]);
  const pip = script?.requirements?.pip;
  if (pip) rows.push(['packages', (Array.isArray(pip) ? pip : pip.split('\n')).map((l) => l.trim()).filter(Boolean).join(', ')]);
  if (task.container?.image) rows.push(['docker', [task.container.image, task.container.arguments ?? ''].join(' ').trim()]);
  if (task.tags?.length) rows.push(['tags', task.tags.join(', ')]);
  if (task.system_tags?.length) rows.push(['system tags', task.system_tags.join(', ')]);
  for (const [section, params] of Object.entries(task.hyperparams ?? {})) {
    for (const [key, param] of Object.entries(params)) rows.push([`${section}/${param.name ?? key}`, String(param.value ?? '')]);
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`).join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// task logs

function printLogEvents(events: readonly TaskLogEvent[]): void {
  for (const event of events) {
    const msg = event.msg ?? '';
    write(msg.endsWith('\n') ? msg : `${msg}\n`);
  }
}

async function showTaskLogs(client: ApiClient, taskId: string, follow: boolean, intervalMs: number): Promise<void> {
  const ending = await followTaskLog(client, taskId, { follow, intervalMs, onEvents: printLogEvents });
  if (ending.finalStatus) process.stderr.write(`task ${taskId} ${ending.finalStatus}\n`);
}

function parseInterval(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--interval "${text}" is not a positive number of seconds`);
  return Math.round(seconds * 1000);
}

// ---------------------------------------------------------------------------------------------

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `tray-agent task …`: create, enqueue, list, show, follow and abort tasks from the terminal. */
export function registerTaskCommand(program: Command): void {
  const task = usageErrorsExitWith2(
    program.command('task').description('create, enqueue, list, inspect, follow and abort tasks on the ClearML server'),
  );

  usageErrorsExitWith2(task.command('create'))
    .description('create a task (and enqueue it with --queue); prints the new task id')
    .option('--name <name>', 'task name (at least 3 characters)')
    .option('--project <project>', 'project name or id (created if missing)')
    .option('--type <type>', 'task type', 'training')
    .option('--repo <url>', 'git repository to check out')
    .option('--branch <branch>', 'branch to check out (with --repo)')
    .option('--commit <commit>', 'commit to check out (with --repo)')
    .option('--tag <tag>', 'tag to check out (with --repo)')
    .option('--script <file>', 'entry point script (inside the repo; without --repo this local file is sent with the task)')
    .option('--module <module>', 'entry point module, run as python -m <module>')
    .option('--working-dir <dir>', 'working directory inside the repository', '.')
    .option('--args <args>', 'arguments for the entry point, in shell syntax ("a b --flag")')
    .option('--arg <name=value>', 'a named argument, passed as --name value (repeatable)', collect, [])
    .option('--packages <requirement...>', 'pip requirements, e.g. "torch==2.5" numpy')
    .option('--requirements-file <file>', 'pip requirements file to send with the task')
    .option('--docker-image <image>', 'run in this docker image')
    .option('--docker-args <args>', 'extra docker run arguments')
    .option('--setup-script <file>', 'shell script to run in the container before the task')
    .option('--binary <binary>', 'interpreter', 'python3')
    .option('--queue <queue>', 'enqueue the new task in this queue (name or id)')
    .action(
      commandAction('task create', async (options: CreateOptions, command: Command) => {
        const request = await planTaskCreation(options);
        const client = await clientFor(command);
        if (options.project) request.project = await client.projects.resolveId(options.project, { create: true });
        const { id } = await client.tasks.create(request);
        write(`${id}\n`);
        if (options.queue) await enqueueTask(client, id, options.queue);
      }),
    );

  usageErrorsExitWith2(task.command('enqueue'))
    .description('put a task in a queue')
    .argument('<id>', 'task id')
    .requiredOption('--queue <queue>', 'queue name or id')
    .action(
      commandAction('task enqueue', async (id: string, options: { queue: string }, command: Command) => {
        const taskId = requireTaskId(id);
        await enqueueTask(await clientFor(command), taskId, options.queue);
      }),
    );

  usageErrorsExitWith2(task.command('list'))
    .description('list tasks, most recently updated first')
    .addOption(new Option('--status <status...>', `only these statuses (${taskStatuses.join(', ')})`))
    .option('--queue <queue>', 'only tasks enqueued in this queue (name or id)')
    .option('--limit <n>', 'at most this many tasks', '50')
    .option('--json', 'print JSON')
    .action(
      commandAction('task list', async (options: { status?: string[]; queue?: string; limit: string; json?: boolean }, command: Command) => {
        const statuses = options.status ? validateStatuses(options.status) : undefined;
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit <= 0 || limit > 500) throw new UsageError(`--limit "${options.limit}" must be a whole number from 1 to 500`);
        const client = await clientFor(command);
        const extra = options.queue ? { 'execution.queue': await client.queues.resolveId(options.queue) } : undefined;
        const tasks = await client.tasks.getAll({
          status: statuses,
          onlyFields: ['id', 'name', 'status', 'status_message', 'type', 'last_update', 'execution.queue'],
          orderBy: ['-last_update'],
          pageSize: limit,
          page: 0,
          extra,
        });
        if (options.json) {
          write(`${JSON.stringify(tasks, null, 2)}\n`);
          return;
        }
        if (tasks.length === 0) {
          process.stderr.write('no tasks match\n');
          return;
        }
        write(formatTable(['ID', 'STATUS', 'TYPE', 'LAST UPDATE', 'NAME'], tasks.map((t) => [t.id, describeStatus(t), t.type ?? '', formatDatetime(t.last_update), t.name ?? ''])));
      }),
    );

  usageErrorsExitWith2(task.command('show'))
    .description('show one task')
    .argument('<id>', 'task id')
    .option('--json', 'print the task as JSON')
    .action(
      commandAction('task show', async (id: string, options: { json?: boolean }, command: Command) => {
        const found = await (await clientFor(command)).tasks.getById(requireTaskId(id));
        write(options.json ? `${JSON.stringify(found, null, 2)}\n` : formatTaskBlock(found));
      }),
    );

  usageErrorsExitWith2(task.command('logs'))
    .description("print a task's console log")
    .argument('<id>', 'task id')
    .option('-f, --follow', 'keep printing new lines until the task ends')
    .option('--interval <seconds>', 'how often --follow asks for new lines', '2')
    .action(
      commandAction('task logs', async (id: string, options: { follow?: boolean; interval: string }, command: Command) => {
        const taskId = requireTaskId(id);
        const intervalMs = parseInterval(options.interval);
        const client = await clientFor(command);
        await showTaskLogs(client, taskId, options.follow === true, intervalMs);
      }),
    );

  usageErrorsExitWith2(task.command('abort'))
    .description('abort a task: a queued task is stopped, a running one is stopped by its agent')
    .argument('<id>', 'task id')
    .action(
      commandAction('task abort', async (id: string, _options: object, command: Command) => {
        const taskId = requireTaskId(id);
        const client = await clientFor(command);
        const before = await client.tasks.getById(taskId);
        if (before.status && finalTaskStatuses.has(before.status)) {
          throw new UsageError(`task ${taskId} is already ${before.status}; nothing to abort (use \`tray-agent task reset\` to run it again)`);
        }
        await client.tasks.stop({ task: taskId, statusReason: 'aborted with tray-agent task abort' });
        const after = await client.tasks.getById(taskId);
        write(`task ${taskId}: ${describeStatus(after)}${after.status === 'in_progress' ? ' — its agent stops it within seconds' : ''}\n`);
      }),
    );

  usageErrorsExitWith2(task.command('reset'))
    .description('reset a task to "created" (dequeues it and clears its output and log)')
    .argument('<id>', 'task id')
    .option('--force', 'also reset a published or running task')
    .action(
      commandAction('task reset', async (id: string, options: { force?: boolean }, command: Command) => {
        const taskId = requireTaskId(id);
        await (await clientFor(command)).tasks.reset({ task: taskId, force: options.force === true, statusReason: 'reset with tray-agent task reset' });
        write(`task ${taskId}: created\n`);
      }),
    );

  usageErrorsExitWith2(task.command('clone'))
    .description('copy a task into a new one (status "created"); prints the new task id')
    .argument('<id>', 'task id to copy')
    .option('--name <name>', 'name of the copy')
    .option('--queue <queue>', 'enqueue the copy in this queue (name or id)')
    .action(
      commandAction('task clone', async (id: string, options: { name?: string; queue?: string }, command: Command) => {
        const taskId = requireTaskId(id);
        if (options.name !== undefined && options.name.trim().length < 3) throw new UsageError(`--name "${options.name}" is too short: task names need at least 3 characters`);
        const client = await clientFor(command);
        const { id: newId } = await client.tasks.clone({ task: taskId, newTaskName: options.name?.trim() });
        write(`${newId}\n`);
        if (options.queue) await enqueueTask(client, newId, options.queue);
      }),
    );
}
