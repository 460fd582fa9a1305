import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/embedded-server.js';
import { createTask, getTask, useServerSession, type Session } from './api-call.js';
import { until } from '../helpers/until.js';

let clock = Date.parse('2025-08-01T00:00:00Z');
let server: TestServer;
let session: Session;

useServerSession((bed) => ({ server, session } = bed), { now: () => clock, watchdogIntervalMs: 25 });

describe('non-responsive task watchdog', () => {
  it('stops in_progress tasks silent for over 2 h, on its own schedule, and spares live ones', async () => {
    const silent = await createTask(session);
    const pinged = await createTask(session);
    const queued = await createTask(session);
    await session.ok('tasks.started', { task: silent, force: true });
    await session.ok('tasks.started', { task: pinged, force: true });
    await session.ok('tasks.enqueue', { task: queued });
    clock += 7000_000;
    await session.ok('tasks.ping', { task: pinged });
    clock += 201_000;
    await until(async () => (await getTask(session, silent)).status === 'stopped', 3000, 'silent to be stopped', 20);
    const stopped = await getTask(session, silent);
    expect(stopped.status_reason).toBe('Forced stop (non-responsive)');
    expect(stopped.status_message).toBe('Forced stop (non-responsive)');
    expect((await getTask(session, pinged)).status).toBe('in_progress');
    expect((await getTask(session, queued)).status).toBe('queued');
  });

  it('runMaintenance runs one pass on demand and returns what it stopped', async () => {
    const task = await createTask(session);
    await session.ok('tasks.started', { task, force: true });
    clock += 7201_000;
    const stopped = server.server.runMaintenance();
    // the interval pass may have caught it first; either way it is stopped now
    expect(stopped.length === 0 || stopped.includes(task)).toBe(true);
    expect((await getTask(session, task)).status).toBe('stopped');
  });
});

describe('lost workers', () => {
  it('fails an in_progress task whose worker stopped reporting it for longer than the worker timeout', async () => {
    const lost = await createTask(session);
    const alive = await createTask(session);
    const shortTimeout = await createTask(session);
    for (const task of [lost, alive, shortTimeout]) await session.ok('tasks.started', { task, force: true });
    await session.ok('workers.register', { worker: 'crashed:0' });
    await session.ok('workers.register', { worker: 'quick:0', timeout: 60 });
    await session.ok('workers.status_report', { worker: 'crashed:0', timestamp: clock, task: lost });
    await session.ok('workers.status_report', { worker: 'healthy:0', timestamp: clock, task: alive });
    await session.ok('workers.status_report', { worker: 'quick:0', timestamp: clock, task: shortTimeout });
    clock += 90_000;
    // quick:0 registered with a 60 s timeout: 90 s of silence is too long for it
    await session.ok('workers.status_report', { worker: 'healthy:0', timestamp: clock, task: alive });
    // the interval pass (every 25 ms here) or this on-demand one fails it, whichever runs first
    server.server.runMaintenance();
    await until(async () => (await getTask(session, shortTimeout)).status === 'failed', 3000, 'shortTimeout to be failed', 20);
    expect((await getTask(session, shortTimeout)).status_reason).toBe('worker lost: no status report for 90 s');
    expect((await getTask(session, lost)).status).toBe('in_progress');
    clock += 530_000; // crashed:0 silent for 620 s > 600 s; healthy:0 reported 530 s ago
    await until(async () => (await getTask(session, lost)).status === 'failed', 3000, 'lost to be failed', 20);
    const failed = await getTask(session, lost);
    expect(failed.status_reason).toBe('worker lost: no status report for 620 s');
    expect(failed.status_message).toBe('worker crashed:0 lost');
    expect((await getTask(session, alive)).status).toBe('in_progress');
  });
});
