// Whether the daemon may pull from a queue right now (reference: clearml-api §5, agent §3.4).
import { describeSchedule, isActiveAt, type Schedule } from './schedule-spec.js';

export const FORCE_ON_TAG = 'force_workers:on';
export const FORCE_OFF_TAG = 'force_workers:off';

/** The worker runtime property `force` as read from the server. */
export interface RuntimeForceProperty {
  value: string;
  /** When the property stops applying (epoch ms or Date); null = never. */
  expiresAt: number | Date | null;
}

export type ActiveSource = 'queue-tag' | 'runtime-property' | 'uptime' | 'downtime' | 'default';

export interface ActiveDecision {
  active: boolean;
  /** Human sentence for logs, `daemon --status` and the tray. */
  reason: string;
  source: ActiveSource;
  /** Settings that were ignored and why (unknown force value, both schedules set). */
  warnings: string[];
}

export interface ActiveInputs {
  queueTags: readonly string[];
  runtimeForce: RuntimeForceProperty | null;
  uptime: Schedule | null;
  downtime: Schedule | null;
  now: Date;
}

const hasSchedule = (s: Schedule | null): s is Schedule => s !== null && s.entries.length > 0;

/**
 * First decisive rule wins: queue tag `force_workers:off` / `:on` > runtime property `force`
 * off/on (until it expires) > uptime (active only inside) or downtime (inactive inside); both
 * schedules set ⇒ both ignored, as clearml-agent does > active.
 */
export function decideActive(inputs: ActiveInputs): ActiveDecision {
  const warnings: string[] = [];
  const tags = new Set(inputs.queueTags.map((t) => t.trim().toLowerCase()));
  if (tags.has(FORCE_OFF_TAG)) {
    return { active: false, reason: `queue tag ${FORCE_OFF_TAG}`, source: 'queue-tag', warnings };
  }
  if (tags.has(FORCE_ON_TAG)) {
    return { active: true, reason: `queue tag ${FORCE_ON_TAG}`, source: 'queue-tag', warnings };
  }

  const force = inputs.runtimeForce;
  if (force) {
    const expiresAt = force.expiresAt instanceof Date ? force.expiresAt.getTime() : force.expiresAt;
    const value = force.value.trim().toLowerCase();
    if (expiresAt !== null && inputs.now.getTime() >= expiresAt) {
      // Expired: the server may not have dropped it yet; it no longer counts.
    } else if (value === 'on' || value === 'off') {
      const until = expiresAt === null ? '' : ` until ${new Date(expiresAt).toISOString()}`;
      return { active: value === 'on', reason: `worker runtime property force=${value}${until}`, source: 'runtime-property', warnings };
    } else {
      warnings.push(`worker runtime property force="${force.value}" is neither "on" nor "off"; ignored`);
    }
  }

  const uptime = hasSchedule(inputs.uptime) ? inputs.uptime : null;
  const downtime = hasSchedule(inputs.downtime) ? inputs.downtime : null;
  if (uptime && downtime) {
    warnings.push('both uptime and downtime are set; both are ignored (set only one of them)');
  } else if (uptime) {
    const inside = isActiveAt(uptime, inputs.now);
    return {
      active: inside,
      reason: `${inside ? 'inside' : 'outside'} uptime (${describeSchedule(uptime)})`,
      source: 'uptime',
      warnings,
    };
  } else if (downtime) {
    const inside = isActiveAt(downtime, inputs.now);
    return {
      active: !inside,
      reason: `${inside ? 'inside' : 'outside'} downtime (${describeSchedule(downtime)})`,
      source: 'downtime',
      warnings,
    };
  }
  return { active: true, reason: 'no schedule or force setting applies', source: 'default', warnings };
}
