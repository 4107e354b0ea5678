// The one HTTP client: undici's request API on a keep-alive
// Agent (global fetch measured slower for many parallel downloads), per-phase timeouts whose errors
// name the phase, transient-only retries with a pure delay policy, a per-host connection cap,
// manual redirects re-checked by the private-network guard, an honest User-Agent, and proxies
// from the environment. Every error that leaves here is one of core/errors.ts.
import { Readable } from 'node:stream';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import type { Config } from '../core/config.ts';
import {
  HarvesterError,
  HttpStatusError,
  ParseError,
  RedirectError,
  TimeoutError,
  shouldRetry,
} from '../core/errors.ts';
import { MAX_TIMER_MS, allowManyListeners, linkAbort, sleep } from './abort.ts';
import { assertPublicHost, assertPublicUrl, guardedLookup, type GuardOptions, type LookupFunction } from './address-guard.ts';
import { abortReason, toHarvesterError, type ErrorContext } from './map-error.ts';
import { readBodyText } from './read-body.ts';
import { parseRetryAfterMs, retryDelayMs } from './retry-delay.ts';
import type { HttpClient, HttpResponse, RequestOptions, TextResponse } from './types.ts';

/** Sent unless a caller sets its own: says who we are and where to complain. */
export const DEFAULT_USER_AGENT = 'Harvester/0.1 (+https://github.com/harvester/harvester)';
/** Largest body getText/getJson read, bytes, unless `maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;
/** Connect phase cap when neither the request nor the client sets one, ms. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface HttpClientOptions {
  /** Default User-Agent (default DEFAULT_USER_AGENT); a request's own header wins. */
  userAgent?: string;
  /** Connect phase timeout of the shared pool, ms (default min(REQUEST_TIMEOUT, 10 s)). */
  connectTimeoutMs?: number;
  /** Host names exempt from the private-network guard (tests: their own 127.0.0.1 server). */
  allowHosts?: readonly string[];
  /** Resolver used instead of dns.lookup (tests of DNS rebinding; the guard still applies). */
  lookup?: LookupFunction;
  /** Where HTTP_PROXY / HTTPS_PROXY / NO_PROXY are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** First retry backoff, ms (default 500). */
  retryBaseMs?: number;
  /** Longest retry backoff, ms (default 10 000). */
  retryCapMs?: number;
}

/** The request options this implementation understands (RequestOptions, kept as a name for callers). */
export type ClientRequestOptions = RequestOptions;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const defaultAccept = (status: number): boolean => status >= 200 && status <= 299;

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in raw) {
    const value = raw[key];
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * undici takes 0 for "no timeout"; ours are Infinity or a number of ms. undici runs its
 * connect/headers/body timers on a shared coarse clock (about 1 s resolution): cheap at
 * thousands of requests, and precise enough for timeouts counted in seconds; a 200 ms test
 * timeout fires after up to a second.
 */
function undiciTimeout(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
}

function proxyEnv(env: Record<string, string | undefined>): { httpProxy?: string; httpsProxy?: string; noProxy?: string } | null {
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy;
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  if (!httpProxy && !httpsProxy) return null;
  return { httpProxy: httpProxy || undefined, httpsProxy: httpsProxy || httpProxy || undefined, noProxy: noProxy || undefined };
}

function hostnameOf(proxyUrl: string | undefined): string[] {
  if (!proxyUrl) return [];
  try {
    return [new URL(proxyUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase()];
  } catch {
    return [];
  }
}

/**
 * Hands undici's own body stream to the caller (no wrapper stream, no copy: this is the hot
 * path of every download) with two additions: every error it ends with is mapped to
 * core/errors.ts, and the request's timers and abort listeners are released as soon as it
 * closes (ended, failed or destroyed). Errors are mapped where they enter the stream:
 * `destroy(error)` (how undici and Node's stream internals fail a body, so `errored` and the
 * 'error' event both carry the mapped error) and `_destroy` (where undici creates its own
 * abort error). A no-op 'error' listener keeps a body destroyed by a caller who never
 * listens from crashing the process.
 */
function adoptBody(body: Readable, mapError: (error: unknown) => HarvesterError, release: () => void): Readable {
  const destroy = body.destroy;
  body.destroy = function mappedDestroy(this: Readable, error?: Error) {
    return destroy.call(this, error ? mapError(error) : error);
  };
  const destroyImpl = body._destroy;
  body._destroy = function mappedDestroyImpl(this: Readable, error: Error | null, callback: (error?: Error | null) => void): void {
    destroyImpl.call(this, error, (finalError?: Error | null) => callback(finalError ? mapError(finalError) : finalError));
  };
  body.once('close', release);
  body.on('error', () => {});
  return body;
}

/** Creates the HTTP client; one per process is typical (its pool is shared by all sources and jobs). */
export function createHttpClient(config: Config, options: HttpClientOptions = {}): HttpClient & {
  request(url: string, options?: ClientRequestOptions): Promise<HttpResponse>;
  getText(url: string, options?: ClientRequestOptions): Promise<TextResponse>;
  getJson<T = unknown>(url: string, options?: ClientRequestOptions & { sourceId?: string }): Promise<TextResponse & { data: T }>;
} {
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const defaultConnectMs = options.connectTimeoutMs ?? Math.min(config.requestTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryCapMs = options.retryCapMs ?? 10_000;
  const proxy = proxyEnv(options.env ?? process.env);
  const guard: GuardOptions = {
    allowPrivateNetworks: config.allowPrivateNetworks,
    allowHosts: options.allowHosts ?? [],
    // A proxy on this machine (a common set-up) must stay reachable with the guard on, but
    // only as the place to connect to: a request TARGET on the proxy's host is still refused.
    connectHosts: [...hostnameOf(proxy?.httpProxy), ...hostnameOf(proxy?.httpsProxy)],
  };
  // Through a proxy, the proxy resolves target names, so the connect-time lookup never sees
  // them: each target name (first hop and every redirect) is resolved and checked here first.
  const checkProxiedTarget = proxy && !config.allowPrivateNetworks
    ? (url: URL, signal: AbortSignal | undefined) => assertPublicHost(url, guard, options.lookup, signal)
    : null;
  const lookup = config.allowPrivateNetworks && !options.lookup ? undefined : guardedLookup(guard, options.lookup);

  // One pool per connect timeout: undici fixes that timeout per Agent. Requests without their
  // own connectTimeoutMs (all of the engine's) share the default one, so the per-host cap holds.
  const dispatchers = new Map<number, Dispatcher>();
  function dispatcherFor(connectTimeoutMs: number): Dispatcher {
    let dispatcher = dispatchers.get(connectTimeoutMs);
    if (!dispatcher) {
      const agentOptions = {
        connections: config.maxConnectionsPerHost,
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
        connect: { timeout: undiciTimeout(connectTimeoutMs), ...(lookup ? { lookup } : {}) },
      };
      dispatcher = proxy ? new EnvHttpProxyAgent({ ...agentOptions, ...proxy }) : new Agent(agentOptions);
      dispatchers.set(connectTimeoutMs, dispatcher);
    }
    return dispatcher;
  }
  dispatcherFor(defaultConnectMs);

  function checkUrl(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new HarvesterError(`refused ${url.protocol.replace(/:$/, '')}: URL: only http and https URLs are fetched`);
    }
    if (url.username || url.password) {
      // Credentials in a URL from a page are a smell; never send them silently.
      throw new HarvesterError(`refused URL with embedded credentials: ${url.origin}`);
    }
    assertPublicUrl(url, guard);
  }

  function parseUrl(raw: string): URL {
    try {
      return new URL(raw);
    } catch {
      throw new HarvesterError(`invalid URL: ${JSON.stringify(raw.slice(0, 200))}`);
    }
  }

  /** One attempt: the request and its redirects, under one total timer. */
  async function attempt(rawUrl: string, opts: ClientRequestOptions): Promise<HttpResponse> {
    const timeoutMs = opts.timeoutMs ?? config.requestTimeoutMs;
    const connectTimeoutMs = opts.connectTimeoutMs ?? Math.min(defaultConnectMs, timeoutMs);
    const headersTimeoutMs = opts.headersTimeoutMs ?? timeoutMs;
    const idleTimeoutMs = opts.idleTimeoutMs ?? timeoutMs;
    const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    const acceptStatus = opts.acceptStatus ?? defaultAccept;
    const ctx: ErrorContext = { url: rawUrl, connectTimeoutMs, headersTimeoutMs, idleTimeoutMs };

    let current = parseUrl(rawUrl);
    checkUrl(current);
    // A controller of our own only when there is a total timer to enforce; otherwise the
    // caller's signal goes to undici as it is (one listener less per request).
    let signal = opts.signal;
    let unlink = (): void => {};
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      const controller = new AbortController();
      unlink = linkAbort(controller, [opts.signal]);
      signal = controller.signal;
      timer = setTimeout(() => {
        controller.abort(new TimeoutError('request', timeoutMs, `Timeout awaiting 'request' for ${timeoutMs}ms (${current.host})`));
      }, Math.min(timeoutMs, MAX_TIMER_MS));
    } else if (signal?.aborted) {
      throw abortReason(signal);
    } else if (signal) {
      allowManyListeners(signal);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (timer) clearTimeout(timer);
      unlink();
    };
    // Once the signal fired, its reason (the phase that timed out, the caller's own reason)
    // is the truth, whatever undici made of it.
    const mapError = (error: unknown): HarvesterError =>
      signal?.aborted ? abortReason(signal) : toHarvesterError(error, { ...ctx, url: current.href });

    let method = opts.method ?? 'GET';
    let body = opts.body;
    let headers: Record<string, string> = { 'user-agent': userAgent };
    for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
    const visited = new Set([current.href]);
    try {
      for (let hop = 0; ; hop++) {
        if (checkProxiedTarget) await checkProxiedTarget(current, signal);
        const response = await dispatcherFor(connectTimeoutMs).request({
          origin: current.origin,
          path: `${current.pathname}${current.search}`,
          method,
          headers,
          body,
          signal,
          headersTimeout: undiciTimeout(headersTimeoutMs),
          bodyTimeout: undiciTimeout(idleTimeoutMs),
        });
        const status = response.statusCode;
        const responseHeaders = flattenHeaders(response.headers);
        if (REDIRECT_STATUSES.has(status) && maxRedirects > 0 && responseHeaders.location !== undefined) {
          await response.body.dump({ limit: 64 * 1024 }).catch(() => {});
          if (hop >= maxRedirects) throw new RedirectError(`too many redirects (more than ${maxRedirects}) from ${rawUrl}`);
          let next: URL;
          try {
            next = new URL(responseHeaders.location, current);
          } catch {
            throw new RedirectError(`invalid redirect Location ${JSON.stringify(responseHeaders.location.slice(0, 200))} from ${current.href}`);
          }
          next.hash = '';
          if (visited.has(next.href)) throw new RedirectError(`redirect loop: ${next.href} was already visited`);
          visited.add(next.href);
          checkUrl(next);
          if (next.origin !== current.origin) {
            // Credentials meant for one origin must not follow a redirect to another.
            const { authorization: _a, cookie: _c, 'proxy-authorization': _p, ...rest } = headers;
            headers = rest;
          }
          if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
            method = method === 'HEAD' ? 'HEAD' : 'GET';
            body = undefined;
            const { 'content-type': _t, 'content-length': _l, ...rest } = headers;
            headers = rest;
          }
          current = next;
          continue;
        }
        if (!acceptStatus(status)) {
          await response.body.dump({ limit: 64 * 1024 }).catch(() => {});
          throw new HttpStatusError(status, current.href, parseRetryAfterMs(responseHeaders['retry-after'], Date.now()));
        }
        const adopted = adoptBody(response.body as unknown as Readable, mapError, release);
        const finalUrl = current.href;
        const undiciBody = response.body;
        return {
          status,
          url: finalUrl,
          headers: responseHeaders,
          body: adopted,
          text: () => readBodyText(adopted, responseHeaders, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, finalUrl),
          dump: async () => {
            await undiciBody.dump({ limit: 64 * 1024 }).catch(() => {});
            if (!adopted.destroyed) adopted.destroy();
            release();
          },
        };
      }
    } catch (error) {
      release();
      throw mapError(error);
    }
  }

  /** Runs `run` with retries for transient errors, within the caller's signal and deadline. */
  async function withRetries<T>(url: string, opts: ClientRequestOptions, run: () => Promise<T>): Promise<T> {
    const retries = opts.retries ?? 0;
    for (let retry = 0; ; retry++) {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof HarvesterError)) throw error;
        if (!shouldRetry(error, retry, retries) || opts.signal?.aborted) throw error;
        const delayMs = retryDelayMs(retry + 1, {
          baseMs: retryBaseMs,
          capMs: retryCapMs,
          retryAfterMs: error instanceof HttpStatusError ? error.retryAfterMs : undefined,
          remainingMs: opts.deadlineAt !== undefined ? opts.deadlineAt - Date.now() : undefined,
        });
        if (delayMs === null) throw error;
        opts.onRetry?.({ url, attempt: retry + 2, delayMs, error });
        await sleep(delayMs, opts.signal);
      }
    }
  }

  async function getText(url: string, opts: ClientRequestOptions = {}): Promise<TextResponse> {
    const headers = { 'accept-encoding': 'gzip, deflate, br', ...lowerKeys(opts.headers) };
    return withRetries(url, opts, async () => {
      const response = await attempt(url, { ...opts, headers });
      const text = await response.text();
      return { status: response.status, url: response.url, headers: response.headers, text };
    });
  }

  return {
    request: (url, opts = {}) => withRetries(url, opts, () => attempt(url, opts)),
    getText,
    async getJson<T = unknown>(url: string, opts: ClientRequestOptions & { sourceId?: string } = {}) {
      const headers = { accept: 'application/json', ...lowerKeys(opts.headers) };
      const response = await getText(url, { ...opts, headers });
      return { ...response, data: parseJson<T>(response, opts.sourceId) };
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

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

/** JSON.parse with the failure named after the source (or the host) and the URL. */
export function parseJson<T>(response: TextResponse, sourceId: string | undefined): T {
  try {
    return JSON.parse(response.text) as T;
  } catch (error) {
    let who = sourceId;
    if (!who) {
      try {
        who = new URL(response.url).host;
      } catch {
        who = 'http';
      }
    }
    const preview = response.text.slice(0, 60).replace(/\s+/g, ' ');
    throw new ParseError(who, `invalid JSON from ${response.url} (${(error as Error).message}; body starts ${JSON.stringify(preview)})`);
  }
}
