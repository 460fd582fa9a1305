import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from '../context.js';
import { ApiError } from '../http/api-error.js';
import type { JsonObject } from '../http/request-params.js';

/**
 * The page behind the results link the ClearML SDK prints
 * (`<web_server>/projects/<project>/experiments/<task>/output/log`): the task's status and its
 * log as plain HTML. A stand-in until the tray app's dashboard serves these links; it only reads.
 */
const TASK_LINK = /^\/projects\/([^/]+)\/experiments\/([0-9a-f]{32})(?:\/.*)?$/;
/** Lines shown: the log's tail. */
const LOG_LINES = 5000;

export function isTaskPageRequest(method: string | undefined, pathname: string): boolean {
  return (method === 'GET' || method === 'HEAD') && TASK_LINK.test(pathname);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

function page(res: ServerResponse, status: number, title: string, body: string, refreshSec?: number): void {
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    refreshSec ? `<meta http-equiv="refresh" content="${refreshSec}">` : '',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}',
    'dt{font-weight:600}pre{background:#f4f4f4;padding:1rem;overflow:auto;white-space:pre-wrap;word-break:break-word}table{border-collapse:collapse}',
    'td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:left}</style>',
    '</head><body>',
    body,
    '</body></html>',
  ].join('\n');
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store' });
  res.end(html);
}

function metricsTable(lastMetrics: JsonObject | undefined): string {
  const rows: string[] = [];
  for (const variants of Object.values(lastMetrics ?? {})) {
    for (const item of Object.values((variants as JsonObject) ?? {})) {
      const entry = item as JsonObject;
      rows.push(
        `<tr><td>${escapeHtml(String(entry.metric ?? ''))}</td><td>${escapeHtml(String(entry.variant ?? ''))}</td>` +
          `<td>${escapeHtml(String(entry.value ?? ''))}</td><td>${escapeHtml(String(entry.min_value ?? ''))}</td><td>${escapeHtml(String(entry.max_value ?? ''))}</td></tr>`,
      );
    }
  }
  if (rows.length === 0) return '<p>No scalars reported.</p>';
  return `<table><thead><tr><th>metric</th><th>variant</th><th>last</th><th>min</th><th>max</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * Serves one task page. `authorize` checks credentials when the server listens beyond
 * loopback; a browser is asked for them with Basic auth (the API access key and secret).
 */
export function createTaskPageHandler(ctx: ServerContext, authorize: ((req: IncomingMessage) => Promise<void>) | null) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume();
    if (authorize) {
      try {
        await authorize(req);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        res.setHeader('www-authenticate', 'Basic realm="tray-agent", charset="UTF-8"');
        page(res, 401, 'Credentials needed', '<h1>Credentials needed</h1><p>Sign in with the API access key (user) and secret key (password) from clearml.conf.</p>');
        return;
      }
    }
    const match = TASK_LINK.exec(new URL(req.url ?? '/', 'http://web.local').pathname);
    const taskId = match?.[2] ?? '';
    const task = ctx.tasks.get(taskId);
    if (!task) {
      page(res, 404, 'Task not found', `<h1>Task not found</h1><p>No task ${escapeHtml(taskId)} on this server.</p>`);
      return;
    }
    const project = task.project ? ctx.projects.get(task.project) : undefined;
    const log = ctx.events
      .navigate(task.id, 'log', true, undefined, LOG_LINES)
      .reverse()
      .map((event) => String(event.doc.msg ?? ''))
      .join('');
    const total = ctx.events.count(task.id, 'log');
    const fields: Array<[string, string]> = [
      ['status', task.status],
      ['reason', task.status_reason || '—'],
      ['message', task.status_message || '—'],
      ['project', project?.name ?? '—'],
      ['type', task.type],
      ['worker', typeof task.last_worker === 'string' ? task.last_worker : '—'],
      ['created', task.created],
      ['started', typeof task.started === 'string' ? task.started : '—'],
      ['completed', typeof task.completed === 'string' ? task.completed : '—'],
      ['last update', task.last_update],
    ];
    const running = task.status === 'queued' || task.status === 'in_progress';
    const body = [
      `<h1>${escapeHtml(task.name)}</h1>`,
      `<p><code>${escapeHtml(task.id)}</code>${running ? ' · refreshes every 5 s while it runs' : ''}</p>`,
      `<dl>${fields.map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`,
      '<h2>Scalars</h2>',
      metricsTable(task.last_metrics),
      `<h2>Log</h2>`,
      total > LOG_LINES ? `<p>The last ${LOG_LINES} of ${total} log events.</p>` : '',
      `<pre>${escapeHtml(log) || '(no log yet)'}</pre>`,
    ].join('\n');
    page(res, 200, `${task.name} · ${task.status}`, body, running ? 5 : undefined);
  };
}
