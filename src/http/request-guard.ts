// Which URLs the client may fetch, checked on the first hop and on every redirect: http and
// https only, no credentials in the URL, and the private-network guard (address-guard.ts) on
// the host — at connect time through the pool's `lookup`, and before each hop when a proxy
// resolves names where that lookup never sees them.
import type { Config } from '../core/config.ts';
import { HarvesterError } from '../core/errors.ts';
import {
  assertPublicHost,
  assertPublicUrl,
  guardedLookup,
  type GuardOptions,
  type LookupFunction,
} from './address-guard.ts';
import { proxyHosts, type ProxySettings } from './proxy.ts';

export interface RequestGuardOptions {
  /** Host names exempt from the private-network guard (tests: their own 127.0.0.1 server). */
  allowHosts?: readonly string[];
  /** Resolver used instead of dns.lookup (tests of DNS rebinding; the guard still applies). */
  lookup?: LookupFunction;
}

export interface RequestGuard {
  /** Throws for a URL the client must not fetch; synchronous, no DNS. */
  checkUrl(url: URL): void;
  /** Through a proxy with the guard on: resolves and checks the target's name; else null. */
  checkProxiedTarget: ((url: URL, signal: AbortSignal | undefined) => Promise<void>) | null;
  /** The resolver the pool connects with (checks every resolved address), or undefined for dns.lookup. */
  lookup: LookupFunction | undefined;
}

export function createRequestGuard(
  config: Config,
  proxy: ProxySettings | null,
  options: RequestGuardOptions = {},
): RequestGuard {
  const guard: GuardOptions = {
    allowPrivateNetworks: config.allowPrivateNetworks,
    allowHosts: options.allowHosts ?? [],
    // A proxy on this machine (a common set-up) must stay reachable with the guard on, but
    // only as the place to connect to: a request TARGET on the proxy's host is still refused.
    connectHosts: proxyHosts(proxy),
  };
  return {
    checkUrl(url) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new HarvesterError(
          `refused ${url.protocol.replace(/:$/, '')}: URL: only http and https URLs are fetched`,
        );
      }
      if (url.username || url.password) {
        // Credentials in a URL from a page are a smell; never send them silently.
        throw new HarvesterError(`refused URL with embedded credentials: ${url.origin}`);
      }
      assertPublicUrl(url, guard);
    },
    // Through a proxy, the proxy resolves target names, so the connect-time lookup never sees
    // them: each target name (first hop and every redirect) is resolved and checked here first.
    checkProxiedTarget:
      proxy && !config.allowPrivateNetworks
        ? (url, signal) => assertPublicHost(url, guard, options.lookup, signal)
        : null,
    lookup: config.allowPrivateNetworks && !options.lookup ? undefined : guardedLookup(guard, options.lookup),
  };
}
