// Connection pooling: keep-alive undici Agents (through the environment's proxies when set),
// at most MAX_CONNECTIONS_PER_HOST connections to one origin. undici fixes the connect timeout
// per Agent, so there is one pool per connect timeout; requests without their own (all of the
// engine's) share the default one, so the per-host cap holds.
import type { Dispatcher } from 'undici';
import { MAX_TIMER_MS } from './abort.ts';
import type { LookupFunction } from './address-guard.ts';
import type { ProxySettings } from './proxy.ts';
import { UndiciAgent, envHttpProxyAgent } from './undici-parts.ts';

export interface PoolOptions {
  connectionsPerHost: number;
  /** The resolver every connection uses (the private-network guard's), or undefined for dns.lookup. */
  lookup: LookupFunction | undefined;
  proxy: ProxySettings | null;
}

export interface ConnectionPool {
  dispatcherFor(connectTimeoutMs: number): Dispatcher;
  /** Closes every pooled connection; one hanging server cannot hold it up longer than a second. */
  close(): Promise<void>;
}

/**
 * undici takes 0 for "no timeout"; ours are Infinity or a number of ms. undici runs its
 * connect/headers/body timers on a shared coarse clock (about 1 s resolution): cheap at
 * thousands of requests, and precise enough for timeouts counted in seconds; a 200 ms test
 * timeout fires after up to a second.
 */
export function undiciTimeout(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
}

export function createPool(options: PoolOptions): ConnectionPool {
  const dispatchers = new Map<number, Dispatcher>();
  return {
    dispatcherFor(connectTimeoutMs) {
      let dispatcher = dispatchers.get(connectTimeoutMs);
      if (!dispatcher) {
        const agentOptions = {
          connections: options.connectionsPerHost,
          keepAliveTimeout: 4_000,
          keepAliveMaxTimeout: 60_000,
          connect: { timeout: undiciTimeout(connectTimeoutMs), ...(options.lookup ? { lookup: options.lookup } : {}) },
        };
        dispatcher = options.proxy
          ? new (envHttpProxyAgent())({ ...agentOptions, ...options.proxy })
          : new UndiciAgent(agentOptions);
        dispatchers.set(connectTimeoutMs, dispatcher);
      }
      return dispatcher;
    },
    async close() {
      const all = [...dispatchers.values()];
      dispatchers.clear();
      await Promise.all(
        all.map(async (d) => {
          // A graceful close waits for in-flight requests; do not let one hanging server block shutdown.
          let timer: NodeJS.Timeout | undefined;
          const graceful = d.close().then(() => true);
          const timeout = new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), 1_000);
          });
          const closed = await Promise.race([graceful, timeout]);
          clearTimeout(timer);
          if (!closed) await d.destroy().catch(() => {});
        }),
      );
    },
  };
}
