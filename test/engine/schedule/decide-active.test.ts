import { describe, expect, it } from 'vitest';
import { decideActive, parseScheduleSpec, type ActiveInputs } from '../../../src-main/engine/schedule/index.js';

const now = new Date(2026, 10, 30, 18, 0); // Monday 18:00 local
const inside = parseScheduleSpec(['17-20 MON']);
const outside = parseScheduleSpec(['8-9 MON']);
const base: ActiveInputs = { queueTags: [], runtimeForce: null, uptime: null, downtime: null, now };
const later = now.getTime() + 3_600_000;
const earlier = now.getTime() - 1;

describe('decideActive precedence', () => {
  it.each<[string, Partial<ActiveInputs>, boolean, string, RegExp]>([
    ['nothing set', {}, true, 'default', /no schedule or force/],
    ['tag off beats everything', { queueTags: ['force_workers:off'], runtimeForce: { value: 'on', expiresAt: null }, uptime: inside }, false, 'queue-tag', /force_workers:off/],
    ['tag off beats tag on', { queueTags: ['force_workers:on', 'force_workers:off'] }, false, 'queue-tag', /force_workers:off/],
    ['tag on beats force off and the schedule', { queueTags: ['other', 'force_workers:on'], runtimeForce: { value: 'off', expiresAt: null }, uptime: outside }, true, 'queue-tag', /force_workers:on/],
    ['tag case is ignored', { queueTags: ['Force_Workers:OFF'] }, false, 'queue-tag', /force_workers:off/],
    ['force off beats uptime', { runtimeForce: { value: 'off', expiresAt: null }, uptime: inside }, false, 'runtime-property', /force=off/],
    ['force on beats downtime', { runtimeForce: { value: 'ON', expiresAt: later }, downtime: inside }, true, 'runtime-property', /force=on until/],
    ['force as a Date expiry', { runtimeForce: { value: 'off', expiresAt: new Date(later) } }, false, 'runtime-property', /force=off until/],
    ['expired force is ignored', { runtimeForce: { value: 'off', expiresAt: earlier } }, true, 'default', /no schedule/],
    ['force expiring exactly now is ignored', { runtimeForce: { value: 'off', expiresAt: now.getTime() }, uptime: inside }, true, 'uptime', /inside uptime/],
    ['inside uptime', { uptime: inside }, true, 'uptime', /inside uptime \(17-20 MON\)/],
    ['outside uptime', { uptime: outside }, false, 'uptime', /outside uptime \(8-9 MON\)/],
    ['inside downtime', { downtime: inside }, false, 'downtime', /inside downtime/],
    ['outside downtime', { downtime: outside }, true, 'downtime', /outside downtime/],
    ['both set: both ignored', { uptime: outside, downtime: inside }, true, 'default', /no schedule/],
    ['an empty uptime list counts as unset', { uptime: parseScheduleSpec([]), downtime: inside }, false, 'downtime', /inside downtime/],
  ])('%s', (_name, inputs, active, source, reason) => {
    const decision = decideActive({ ...base, ...inputs });
    expect(decision.active).toBe(active);
    expect(decision.source).toBe(source);
    expect(decision.reason).toMatch(reason);
  });

  it('warns when both schedules are set', () => {
    expect(decideActive({ ...base, uptime: outside, downtime: inside }).warnings).toEqual([
      'both uptime and downtime are set; both are ignored (set only one of them)',
    ]);
  });

  it('warns about an unknown force value and falls through', () => {
    const decision = decideActive({ ...base, runtimeForce: { value: 'maybe', expiresAt: null }, uptime: outside });
    expect(decision).toMatchObject({ active: false, source: 'uptime' });
    expect(decision.warnings).toEqual(['worker runtime property force="maybe" is neither "on" nor "off"; ignored']);
  });
});
