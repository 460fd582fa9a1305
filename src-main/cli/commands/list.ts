import type { Command } from 'commander';
import type { Worker } from '../../engine/api/index.js';
import { clientFor, formatDatetime, formatTable } from './task.js';
import { commandAction, usageErrorsExitWith2 } from '../command-errors.js';

function workerRow(worker: Worker): string[] {
  const task = worker.task?.id ? `${worker.task.id}${worker.task.name ? ` (${worker.task.name})` : ''}` : '-';
  const queues = (worker.queues ?? []).map((q) => q.name || q.id || '').filter(Boolean).join(', ') || '-';
  return [worker.id, worker.ip || '-', task, queues, formatDatetime(worker.last_activity_time)];
}

/** `tray-agent list`: the workers the server knows (clearml-agent's `list`, as a table or JSON). */
export function registerListCommand(program: Command): void {
  usageErrorsExitWith2(program.command('list'))
    .description('list the workers registered on the server (id, ip, task, queues, last activity)')
    .option('--json', 'print JSON')
    .action(
      commandAction('list', async (options: { json?: boolean }, command: Command) => {
        const workers = await (await clientFor(command)).workers.getAll({ lastSeenSec: 0 });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(workers, null, 2)}\n`);
          return;
        }
        if (workers.length === 0) {
          process.stderr.write('no workers are registered (start one with `tray-agent daemon --queue <name>`)\n');
          return;
        }
        process.stdout.write(formatTable(['WORKER', 'IP', 'TASK', 'QUEUES', 'LAST ACTIVITY'], workers.map(workerRow)));
      }),
    );
}
