// The one HTTP client: undici's request API on a keep-alive pool (global fetch measured slower
// for many parallel downloads), per-phase timeouts whose errors name the phase, an honest User-Agent. Its policies are
// small modules composed here: the request guard (request-guard.ts, with proxies from proxy.ts),
// redirects (redirect.ts), pooling and the per-host cap (pool.ts), retries (retry.ts). Every
// error that leaves here is one of core/errors.ts.
import type { Readable } from 'node:stream';
import type { Config } from '../core/config.ts';
import { HarvesterError, HttpStatusError, TimeoutError } from '../core/errors.ts';
import { MAX_TIMER_MS, allowManyListeners, linkAbort } from './abort.ts';
import { adoptBody } from './adopt-body.ts';
import { abortReason, toHarvesterError, type ErrorContext } from './map-error.ts';
import { parseJson } from './parse-json.ts';
import { createPool, undiciTimeout, type ConnectionPool } from './pool.ts';
import { proxyFromEnv } from './proxy.ts';
import { readBodyText } from './read-body.ts';
import { DEFAULT_MAX_REDIRECTS, RedirectChain, isFollowedRedirect, type Hop } from './redirect.ts';
import { createRequestGuard, type RequestGuard, type RequestGuardOptions } from './request-guard.ts';
import { SEARCH_RETRY_DELAYS, withRetries } from './retry.ts';
import { parseRetryAfterMs } from './retry-delay.ts';
import type { HttpClient, HttpResponse, RequestOptions, TextResponse } from './types.ts';

/** Sent unless a caller sets its own: says who we are and where to complain. */
export const DEFAULT_USER_AGENT = 'Harvester/0.1 (+https://github.com/harvester/harvester)';
/** Largest body getText/getJson read, bytes, unless `maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
/** Connect phase cap when neither the request nor the client sets one, ms. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface HttpClientOptions extends RequestGuardOptions {
  /** Default User-Agent (default DEFAULT_USER_AGENT); a request's own header wins. */
  userAgent?: string;
  /** Connect phase timeout of the shared pool, ms (default min(REQUEST_TIMEOUT, 10 s)). */
  connectTimeoutMs?: number;
  /** Where HTTP_PROXY / HTTPS_PROXY / NO_PROXY are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** First retry backoff, ms (default SEARCH_RETRY_DELAYS). */
  retryBaseMs?: number;
  /** Longest retry backoff, ms (default SEARCH_RETRY_DELAYS). */
  retryCapMs?: number;
}

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

/** What one exchange needs from the client it runs in. */
interface ExchangeContext {
  config: Config;
  userAgent: string;
  defaultConnectMs: number;
  guard: RequestGuard;
  pool: ConnectionPool;
}

/** One attempt: the request and its redirects, under one total timer. */
async function exchange(client: ExchangeContext, rawUrl: string, opts: RequestOptions): Promise<HttpResponse> {
  const timeoutMs = opts.timeoutMs ?? client.config.requestTimeoutMs;
  const connectTimeoutMs = opts.connectTimeoutMs ?? Math.min(client.defaultConnectMs, timeoutMs);
  const headersTimeoutMs = opts.headersTimeoutMs ?? timeoutMs;
  const idleTimeoutMs = opts.idleTimeoutMs ?? timeoutMs;
  const acceptStatus = opts.acceptStatus ?? defaultAccept;
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const ctx: ErrorContext = { url: rawUrl, connectTimeoutMs, headersTimeoutMs, idleTimeoutMs };

  let first: URL;
  try {
    first = new URL(rawUrl);
  } catch {
    throw new HarvesterError(`invalid URL: ${JSON.stringify(rawUrl.slice(0, 200))}`);
  }
  client.guard.checkUrl(first);
  const headers: Record<string, string> = { 'user-agent': client.userAgent };
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
  let hop: Hop = { url: first, method: opts.method ?? 'GET', headers, body: opts.body };
  const redirects = new RedirectChain(rawUrl, first, maxRedirects, client.guard.checkUrl);

  // A controller of our own only when there is a total timer to enforce; otherwise the
  // caller's signal goes to undici as it is (one listener less per request).
  let signal = opts.signal;
  let unlink = (): void => {};
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
    const controller = new AbortController();
    unlink = linkAbort(controller, [opts.signal]);
    signal = controller.signal;
    timer = setTimeout(
      () => {
        controller.abort(
          new TimeoutError('request', timeoutMs, `Timeout awaiting 'request' for ${timeoutMs}ms (${hop.url.host})`),
        );
      },
      Math.min(timeoutMs, MAX_TIMER_MS),
    );
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
    signal?.aborted ? abortReason(signal) : toHarvesterError(error, { ...ctx, url: hop.url.href });

  try {
    for (;;) {
      if (client.guard.checkProxiedTarget) await client.guard.checkProxiedTarget(hop.url, signal);
      const response = await client.pool.dispatcherFor(connectTimeoutMs).request({
        origin: hop.url.origin,
        path: `${hop.url.pathname}${hop.url.search}`,
        method: hop.method,
        headers: hop.headers,
        body: hop.body,
        signal,
        headersTimeout: undiciTimeout(headersTimeoutMs),
        bodyTimeout: undiciTimeout(idleTimeoutMs),
      });
      const status = response.statusCode;
      const responseHeaders = flattenHeaders(response.headers);
      const location = responseHeaders.location;
      if (isFollowedRedirect(status, location, maxRedirects)) {
        await response.body.dump({ limit: 64 * 1024 }).catch(() => {});
        hop = redirects.next(hop, status, location);
        continue;
      }
      if (!acceptStatus(status)) {
        await response.body.dump({ limit: 64 * 1024 }).catch(() => {});
        throw new HttpStatusError(status, hop.url.href, parseRetryAfterMs(responseHeaders['retry-after'], Date.now()));
      }
      const adopted = adoptBody(response.body as unknown as Readable, mapError, release);
      const finalUrl = hop.url.href;
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

/** Creates the HTTP client; one per process is typical (its pool is shared by all sources and jobs). */
export function createHttpClient(config: Config, options: HttpClientOptions = {}): HttpClient {
  const proxy = proxyFromEnv(options.env ?? process.env);
  const guard = createRequestGuard(config, proxy, options);
  const client: ExchangeContext = {
    config,
    userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    defaultConnectMs: options.connectTimeoutMs ?? Math.min(config.requestTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    guard,
    pool: createPool({ connectionsPerHost: config.maxConnectionsPerHost, lookup: guard.lookup, proxy }),
  };
  client.pool.dispatcherFor(client.defaultConnectMs);
  const baseMs = options.retryBaseMs ?? SEARCH_RETRY_DELAYS.baseMs;
  const capMs = options.retryCapMs ?? SEARCH_RETRY_DELAYS.capMs;

  /** Runs `run` with retries for transient errors, within the caller's signal and deadline. */
  function retried<T>(url: string, opts: RequestOptions, run: () => Promise<T>): Promise<T> {
    const { onRetry } = opts;
    return withRetries(run, {
      baseMs,
      capMs,
      retries: opts.retries ?? 0,
      signal: opts.signal,
      deadlineAt: opts.deadlineAt,
      onRetry: onRetry && ((info) => onRetry({ url, ...info })),
    });
  }

  async function getText(url: string, opts: RequestOptions = {}): Promise<TextResponse> {
    const headers = { 'accept-encoding': 'gzip, deflate, br', ...lowerKeys(opts.headers) };
    return retried(url, opts, async () => {
      const response = await exchange(client, url, { ...opts, headers });
      const text = await response.text();
      return { status: response.status, url: response.url, headers: response.headers, text };
    });
  }

  return {
    request: (url, opts = {}) => retried(url, opts, () => exchange(client, url, opts)),
    getText,
    async getJson<T = unknown>(url: string, opts: RequestOptions & { sourceId?: string } = {}) {
      const headers = { accept: 'application/json', ...lowerKeys(opts.headers) };
      const response = await getText(url, { ...opts, headers });
      return { ...response, data: parseJson<T>(response, opts.sourceId) };
    },
    close: () => client.pool.close(),
  };
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}
