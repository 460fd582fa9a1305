/**
 * Payload schemas of every bridge call, checked by both transports (Electron IPC, dashboard
 * WebSocket) before anything is dispatched: the page is untrusted input.
 */
import { z } from 'zod';
import type { BridgeCallName } from './bridge.js';

const none = z.object({}).strict();
const taskId = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'a task id');
const scheduleEntries = z.array(z.string().min(1).max(200)).max(50).nullable();

export const bridgeArgSchemas = {
  getSnapshot: none,
  pause: z.object({ until: z.number().int().positive().nullable() }).strict(),
  resume: z.object({ force: z.boolean() }).strict(),
  drain: z.object({ cancel: z.boolean() }).strict(),
  stopTask: z.object({ taskId }).strict(),
  setQueues: z.object({ queues: z.array(z.string().min(1).max(256)).max(100), orderFairness: z.boolean() }).strict(),
  setGpus: z.object({ gpus: z.string().min(1).max(200).nullable() }).strict(),
  setSkipBusyGpus: z.object({ enabled: z.boolean() }).strict(),
  setSchedule: z.object({ uptime: scheduleEntries, downtime: scheduleEntries }).strict(),
  reloadConfig: none,
  setAutostart: z.object({ enabled: z.boolean() }).strict(),
  getTaskLog: z
    .object({
      taskId,
      fromSeq: z.number().int().nonnegative().optional(),
      beforeSeq: z.number().int().nonnegative().optional(),
      limit: z.number().int().positive().max(100_000).optional(),
    })
    .strict(),
  setupGetState: none,
  setupParseCredentials: z.object({ text: z.string().max(64_000) }).strict(),
  setupVerify: z.object({ mode: z.enum(['embedded', 'remote']), credentialsText: z.string().max(64_000).optional() }).strict(),
  setupSave: z
    .object({
      mode: z.enum(['embedded', 'remote']),
      credentialsText: z.string().max(64_000).optional(),
      gitUser: z.string().max(256).optional(),
      gitToken: z.string().max(4096).optional(),
      extraIndexUrl: z.string().max(2048).optional(),
    })
    .strict(),
} satisfies Record<BridgeCallName, z.ZodType>;
