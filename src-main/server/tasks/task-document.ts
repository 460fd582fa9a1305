import type { JsonObject } from '../http/request-params.js';
import type { TaskStatus } from './status-machine.js';

export interface ParamItem {
  section: string;
  name: string;
  value: string;
  type?: string;
  description?: string;
}

export interface ConfigurationItem {
  name: string;
  value: string;
  type?: string;
  description?: string;
}

/** A task as stored and (after version shaping) returned: ClearML's API ≥ 2.13 layout. */
export interface TaskDoc {
  id: string;
  name: string;
  type: string;
  status: TaskStatus;
  status_reason: string;
  status_message: string;
  status_changed: string;
  user: string;
  company: string;
  project?: string | null;
  parent?: string | null;
  comment?: string;
  tags: string[];
  system_tags: string[];
  created: string;
  started?: string | null;
  completed?: string | null;
  published?: string | null;
  last_update: string;
  last_change: string;
  last_changed_by: string;
  active_duration?: number | null;
  last_worker?: string | null;
  last_worker_report?: string | null;
  last_iteration?: number;
  last_metrics?: JsonObject;
  script?: JsonObject;
  execution: JsonObject;
  container?: Record<string, string>;
  hyperparams: Record<string, Record<string, ParamItem>>;
  configuration: Record<string, ConfigurationItem>;
  runtime?: JsonObject;
  models?: { input?: JsonObject[]; output?: JsonObject[] };
  output?: JsonObject;
  /** Status before the last enqueue; internal, never returned. */
  enqueue_status?: TaskStatus | null;
  /** The reporting worker's registration timeout at its last report; internal (lost-worker watchdog). */
  last_worker_timeout_sec?: number;
  [key: string]: unknown;
}

/** Fields that exist in storage only. */
export const HIDDEN_TASK_FIELDS = ['enqueue_status', 'last_worker_timeout_sec'] as const;

export const TASK_TYPES = [
  'training',
  'testing',
  'inference',
  'data_processing',
  'application',
  'monitor',
  'controller',
  'optimizer',
  'service',
  'qc',
  'custom',
  'report',
] as const;
