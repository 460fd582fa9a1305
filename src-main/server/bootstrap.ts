import { isoDate } from './datetime.js';
import { generateAccessKey, generateSecretKey, hashSecret } from './auth/credentials.js';
import { newId } from './ids.js';
import { DEFAULT_QUEUE_TAG } from './queues/queue-operations.js';
import type { AuthStore, UserRecord } from './store/auth-store.js';
import type { QueueStore } from './store/queue-store.js';

export interface ApiCredentials {
  accessKey: string;
  secretKey: string;
}

const ADMIN_USER_KEY = 'admin_user';
const SERVER_UID_KEY = 'server_uid';
export const DEFAULT_QUEUE_NAME = 'default';

/** The data dir's one company and its admin user (every credential acts as this user). */
export function ensureAdminUser(store: AuthStore, nowMs: number): UserRecord {
  const existingId = store.getMeta(ADMIN_USER_KEY);
  const existing = existingId ? store.getUser(existingId) : undefined;
  if (existing) return existing;
  const user: UserRecord = {
    id: newId(),
    name: 'Tray Agent',
    role: 'admin',
    company: newId(),
    company_name: 'tray-agent',
    created: isoDate(nowMs),
  };
  store.insertUser(user);
  store.setMeta(ADMIN_USER_KEY, user.id);
  return user;
}

export function ensureServerUid(store: AuthStore): string {
  const existing = store.getMeta(SERVER_UID_KEY);
  if (existing) return existing;
  const uid = newId();
  store.setMeta(SERVER_UID_KEY, uid);
  return uid;
}

/** A fresh key pair for `user`; only the secret's hash is stored. */
export function createCredentialsFor(store: AuthStore, user: UserRecord, nowMs: number): ApiCredentials {
  const credentials = { accessKey: generateAccessKey(), secretKey: generateSecretKey() };
  store.insertCredential({ accessKey: credentials.accessKey, secretSha256: hashSecret(credentials.secretKey), userId: user.id }, nowMs);
  return credentials;
}

/** A fresh server gets a queue named `default` carrying the `default` system tag. */
export function createDefaultQueue(queues: QueueStore, user: UserRecord, nowMs: number): void {
  if (queues.getByName(DEFAULT_QUEUE_NAME)) return;
  const now = isoDate(nowMs);
  queues.insert({
    id: newId(),
    name: DEFAULT_QUEUE_NAME,
    company: user.company,
    user: user.id,
    created: now,
    last_update: now,
    tags: [],
    system_tags: [DEFAULT_QUEUE_TAG],
    metadata: {},
  });
}
