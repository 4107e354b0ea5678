// The parts of undici the client uses — the keep-alive Agent, the proxy agent and the `request`
// method — required from undici's own modules. undici's index loads all of undici (fetch,
// WebSocket, EventSource, caches, mocks: 133 files) and with it Node's internal copy of undici:
// about 100 ms of CPU and several MB at every start of a command that makes a request. The index
// also adds `request` (with the API methods the client does not use) to the dispatcher prototype;
// so does this module. The whole of undici is loaded only when a proxy is configured.
import { createRequire } from 'node:module';
import type { Agent, EnvHttpProxyAgent } from 'undici';

const requireUndici = createRequire(import.meta.url);

function undiciModule<T>(path: string): T {
  return requireUndici(`undici/lib/${path}`) as T;
}

const dispatcherPrototype = undiciModule<{ prototype: { request?: unknown } }>('dispatcher/dispatcher.js').prototype;
dispatcherPrototype.request ??= undiciModule<unknown>('api/api-request.js');

export const UndiciAgent = undiciModule<typeof Agent>('dispatcher/agent.js');

/**
 * undici's EnvHttpProxyAgent (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), from undici's index: the proxy
 * agent tunnels with the dispatcher's `connect`, which only the index adds.
 */
export function envHttpProxyAgent(): typeof EnvHttpProxyAgent {
  return (requireUndici('undici') as typeof import('undici')).EnvHttpProxyAgent;
}
