export { formWorkerId, workerName, type DynamicWorkerRole, type WorkerIdInputs } from './worker-id.js';
export {
  WorkerLockError,
  acquireLocalWorkerLock,
  listLocalWorkers,
  type LocalWorkerEntry,
  type LocalWorkerLock,
  type LocalWorkerMeta,
} from './local-worker-lock.js';
export { resolveWorkerIdentity, type WorkerIdentity, type WorkerIdentityInputs } from './resolve-identity.js';
