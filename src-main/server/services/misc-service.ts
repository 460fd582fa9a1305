import type { ServerContext } from '../context.js';
import { CLEARML_SERVER_VERSION, MAX_API_VERSION } from '../api-version.js';
import type { EndpointDefinition } from '../endpoint.js';
import { apiError } from '../http/api-error.js';

/** server.info and debug.ping (no auth), users.get_current_user (what the SDK/UI ask). */
export function miscEndpoints(ctx: ServerContext, serverUid: string): EndpointDefinition[] {
  return [
    {
      name: 'server.info',
      versions: ['2.1', '2.8', '2.12'],
      authorize: false,
      handle() {
        return {
          version: CLEARML_SERVER_VERSION,
          build: ctx.settings.serverBuild,
          commit: '',
          uid: serverUid,
          api_version: MAX_API_VERSION,
          tray_agent: { long_poll_max_ms: ctx.settings.longPollMaxMs, multi_queue_next_task: true },
        };
      },
    },
    {
      name: 'debug.ping',
      versions: ['2.1'],
      authorize: false,
      handle(call) {
        return { ...call.body, msg: 'ClearML server' };
      },
    },
    {
      name: 'users.get_current_user',
      versions: ['2.1', '2.20', '2.26'],
      handle(call) {
        const user = ctx.authStore.getUser(call.identity.user);
        if (!user) throw apiError('invalid_credentials', 'the caller is not a known user');
        const [givenName, ...familyName] = user.name.split(' ');
        return {
          user: {
            id: user.id,
            name: user.name,
            given_name: givenName ?? user.name,
            family_name: familyName.join(' '),
            role: call.identity.role,
            company: { id: user.company, name: user.company_name },
            preferences: {},
            created: user.created,
          },
          getting_started: {},
          settings: { max_download_items: 1000 },
        };
      },
    },
  ];
}
