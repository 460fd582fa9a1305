import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScheduleWatcher, parseScheduleSpec, type ScheduleEdge } from '../../../src-main/engine/schedule/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('createScheduleWatcher', () => {
  it('fires at the edge when node-cron wakes at the top of the hour (fake timers drive the clock)', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 30, 16, 59, 50) }); // Monday 16:59:50
    const edges: ScheduleEdge[] = [];
    const watcher = createScheduleWatcher({ schedule: parseScheduleSpec(['17-18 MON']), onEdge: (e) => edges.push(e) });
    expect(watcher.inside()).toBe(false);
    expect(watcher.nextEdge()).toEqual(new Date(2026, 10, 30, 17, 0));

    await vi.advanceTimersByTimeAsync(9_000);
    expect(edges).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(edges).toEqual([{ inside: true, at: new Date(2026, 10, 30, 17, 0, 0) }]);
    expect(watcher.inside()).toBe(true);
    expect(watcher.nextEdge()).toEqual(new Date(2026, 10, 30, 18, 0));

    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(edges.map((e) => e.inside)).toEqual([true, false]);
    expect(edges[1]?.at).toEqual(new Date(2026, 10, 30, 18, 0, 0));
    watcher.stop();
    await vi.advanceTimersByTimeAsync(7 * 24 * 3_600_000);
    expect(edges).toHaveLength(2);
  });

  it('evaluates with the injected clock and reports only changes', () => {
    let clock = new Date(2026, 10, 30, 9, 30); // Monday 09:30
    const edges: ScheduleEdge[] = [];
    const watcher = createScheduleWatcher({ schedule: parseScheduleSpec(['10-12 MON']), onEdge: (e) => edges.push(e), now: () => clock });
    try {
      watcher.check();
      expect(edges).toEqual([]);
      clock = new Date(2026, 10, 30, 10, 0);
      watcher.check();
      watcher.check();
      expect(edges).toEqual([{ inside: true, at: clock }]);
      // A resume from sleep long after the window closed: one edge, not a replay of each hour.
      clock = new Date(2026, 11, 1, 15, 0);
      watcher.check();
      expect(edges.map((e) => e.inside)).toEqual([true, false]);
      expect(watcher.nextEdge()).toEqual(new Date(2026, 11, 7, 10, 0));
    } finally {
      watcher.stop();
    }
  });
});
