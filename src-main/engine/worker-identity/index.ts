export { formWorkerId, workerName, type DynamicWorkerRole, type WorkerIdInputs } from './worker-id.js';
export {
  WorkerLockError,
  acquireLocalWorkerLock,
  listLocalWorkers,
  type LocalWorkerEntry,
  type LocalWorkerLock,
} from './local-worker-lock.js';
