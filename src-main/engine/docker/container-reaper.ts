// What a crashed daemon left in docker: its registry's `container` handles (liveness: the
// container still exists; reaping: the stop escalation inside it, then remove) and any container
// labelled with the worker id that the registry missed (killed between create and record).
import type Dockerode from 'dockerode';
import type { HandleReaper } from '../daemon/orphan-reaper.js';
import { stopAndRemove } from './container-process.js';

export function containerReaper(docker: Dockerode): HandleReaper {
  return {
    async alive(handle) {
      if (handle.kind !== 'container') return false;
      try {
        await docker.getContainer(handle.containerId).inspect();
        return true;
      } catch {
        return false;
      }
    },
    async reap(handle, graceMs) {
      if (handle.kind !== 'container') return;
      await stopAndRemove(docker.getContainer(handle.containerId), graceMs);
    },
  };
}
