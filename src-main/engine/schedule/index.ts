export {
  DAY_NAMES,
  ScheduleSpecError,
  describeSchedule,
  isActiveAt,
  nextScheduleEdge,
  parseScheduleEntry,
  parseScheduleSpec,
  type Schedule,
  type ScheduleEntry,
} from './schedule-spec.js';
export {
  FORCE_OFF_TAG,
  FORCE_ON_TAG,
  decideActive,
  type ActiveDecision,
  type ActiveInputs,
  type ActiveSource,
  type RuntimeForceProperty,
} from './decide-active.js';
export { createScheduleWatcher, type ScheduleEdge, type ScheduleWatcher, type ScheduleWatcherOptions } from './schedule-watcher.js';
