import { z } from 'zod';
import { endpointVersions } from '../endpoint-versions.js';
import { readData } from '../models.js';
import type { ApiSession } from '../session.js';

const serverInfoSchema = z.looseObject({
  version: z.string().nullish(),
  build: z.string().nullish(),
  api_version: z.union([z.string(), z.number()]).nullish().transform((x) => (x == null ? null : String(x))),
  tray_agent: z.record(z.string(), z.unknown()).nullish(),
});
export type ServerInfo = z.infer<typeof serverInfoSchema>;

export function createServerService(session: ApiSession) {
  return {
    /** Needs no credentials: a reachability and version check (clients otherwise learn the version from the token). */
    async info(): Promise<ServerInfo> {
      return readData(serverInfoSchema, await session.callAnonymous('server.info', {}, { version: endpointVersions['server.info'] }), 'server.info');
    },
  };
}

export type ServerService = ReturnType<typeof createServerService>;
