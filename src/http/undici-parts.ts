// The parts of undici the client uses — the keep-alive Agent, the proxy agent and the `request`
// method — required from undici's own modules. undici's index loads all of undici (fetch,
// WebSocket, EventSource, caches, mocks: 133 files) and with it Node's internal copy of undici:
// about 100 ms of CPU and several MB at every start of a command that makes a request. The index
// also adds `request` (with the API methods the client does not use) to the dispatcher prototype;
// so does this module. The whole of undici is loaded only when a proxy is configured.
import { Module, createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type { Agent, EnvHttpProxyAgent } from 'undici';

// undici parses HTTP/1.1 with llhttp compiled to WebAssembly, compiled at the first connection.
// V8's optimising compiler spends about 0.15-0.3 s of CPU and 35 MB of peak memory on that module;
// its baseline compiler (Liftoff) compiles it at once, and its code parses headers fast enough
// (a body goes through llhttp as spans, not byte by byte). Measured on one `harvester get`: peak
// RSS 102 -> 66 MB; one 1 GiB file: 129 -> 104 MB, CPU 4.7 -> 4.2 s. It applies to every
// WebAssembly module of the process; undici's llhttp is the only one.
setFlagsFromString('--liftoff-only');

const requireUndici = createRequire(import.meta.url);

// undici compiles llhttp synchronously on the main thread at the first connection (`new
// WebAssembly.Module`, some 10-15 ms with the decoding of its bytes). Compiled here instead, as
// soon as the HTTP layer loads, V8 does it on its background threads while the command opens the
// store; undici's own compile then finds the module in V8's cache of compiled modules (keyed by
// their bytes) and takes well under a millisecond. The same bytes undici picks: its SIMD build,
// but where undici would not use it (UNDICI_NO_WASM_SIMD=1, ppc64), where nothing is compiled
// early. A failed compile changes nothing: undici compiles for itself as before.
const compiledParsers: WebAssembly.Module[] = [];
if (process.env.UNDICI_NO_WASM_SIMD !== '1' && process.arch !== 'ppc64') {
  const bytes = requireUndici('undici/lib/llhttp/llhttp_simd-wasm.js') as Uint8Array<ArrayBuffer>;
  // Held so the cached module outlives the compile until undici asks for it.
  WebAssembly.compile(bytes).then(
    (module) => compiledParsers.push(module),
    () => {},
  );
}

function undiciModule<T>(path: string): T {
  return requireUndici(`undici/lib/${path}`) as T;
}

/**
 * Puts a stand-in for one of undici's modules that exports a single function in require's cache:
 * the real module loads at the stand-in's first call, from the same cache as the rest of undici.
 * Nothing happens when the module is missing (another undici) or already loaded.
 */
function deferFunctionModule(path: string): void {
  let file: string;
  try {
    file = requireUndici.resolve(`undici/lib/${path}`);
  } catch {
    return;
  }
  if (requireUndici.cache[file] !== undefined) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = function loadOnFirstCall(this: unknown, ...args: unknown[]): unknown {
    if (real === undefined) {
      delete requireUndici.cache[file];
      real = requireUndici(file) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  requireUndici.cache[file] = standIn;
}

// undici's client requires its HTTP/2 connector at load, and with it Node's http2 and tls (some
// 20 built-in modules, about 10 ms of CPU at every start). It calls it only on a connection that
// negotiated h2, which takes `allowH2`: our agents never set it (an https download loads tls when
// it connects). So the connector loads when first called, if ever.
deferFunctionModule('dispatcher/client-h2.js');

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
