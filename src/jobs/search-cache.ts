// The search cache (the seed's "cache successful URLs to avoid re-searching"): a
// SourceHttp wrapper that answers a search page from the store when the same source asked for
// the same URL (query, page, parameters) within SEARCH_CACHE_TTL. Only successful answers are
// stored — 2xx, and for getJson only text that parses — and failures never are. Secrets (API
// keys in the query string, Authorization and similar headers) are kept out of the cache key and
// out of the stored URL. A failed source run drops what it cached or was served (the rule is in
// ./source-health-rules.ts), so a block page served with a 200 is not replayed for a day.
// The cache is an optimisation: any error reading or writing it falls back to the network.
import { createHash } from 'node:crypto';
import { parseJson, type RequestOptions, type SourceHttp, type TextResponse } from '../http/index.ts';
import type { SearchCacheRepository } from '../store/store.ts';

export interface CachedSourceHttpOptions {
  /** The source whose requests these are; part of the key (two sources never share answers). */
  sourceId: string;
  /** How long a stored answer is served, ms (SEARCH_CACHE_TTL); 0 turns the cache off. */
  ttlMs: number;
  /** The run's deadline: a cache hit after it fired is not returned (a request would have failed too). */
  signal?: AbortSignal;
}

/** Query parameters whose values are credentials (Pixabay `key`, Unsplash `client_id`, tokens, signatures). */
const SECRET_PARAM =
  /^(key|api[-_]?key|apikey|access[-_]?key|client[-_]?id|client[-_]?secret|secret|token|access[-_]?token|auth|authorization|password|passwd|signature|sig)$/i;
/** Request headers that carry credentials or per-session state, never part of a key. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|x-auth-token)$|key|token|secret|auth/i;
/** Response headers not worth keeping with a cached answer. */
const DROPPED_RESPONSE_HEADERS = new Set([
  'set-cookie',
  'date',
  'age',
  'connection',
  'keep-alive',
  'transfer-encoding',
]);

/**
 * The cache key of a GET: source, URL without credentials (query parameters sorted, so their
 * order does not matter) and a digest of the non-secret request headers that can change an
 * answer (Accept, Accept-Language…).
 */
export function searchCacheKey(sourceId: string, url: string, headers: Record<string, string> = {}): string {
  const parts = [sourceId, 'GET', redactUrl(url, 'drop')];
  const kept = Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => !SECRET_HEADER.test(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (kept.length > 0) {
    parts.push(createHash('sha256').update(JSON.stringify(kept)).digest('hex').slice(0, 16));
  }
  return parts.join(' ');
}

/**
 * `url` without credentials: secret query parameters dropped (for keys) or their values
 * replaced (for the stored URL, so the answer's `url` keeps its shape), user info removed,
 * remaining parameters sorted (keys only). A string that is not a URL is returned as it is.
 */
export function redactUrl(url: string, mode: 'drop' | 'mask'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  u.username = '';
  u.password = '';
  u.hash = '';
  const params = [...u.searchParams.entries()];
  const kept: [string, string][] = [];
  for (const [name, value] of params) {
    if (SECRET_PARAM.test(name)) {
      if (mode === 'mask') kept.push([name, 'REDACTED']);
    } else {
      kept.push([name, value]);
    }
  }
  if (mode === 'drop') kept.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  u.search = new URLSearchParams(kept).toString();
  return u.href;
}

/** Wraps a source's `http` with the search cache. With `ttlMs` 0 it returns `http` itself. */
export function createCachedSourceHttp(
  http: SourceHttp,
  cache: SearchCacheRepository,
  options: CachedSourceHttpOptions,
): SourceHttp {
  if (!(options.ttlMs > 0)) return http;
  const { sourceId, ttlMs } = options;

  /** A fresh stored answer, or null (also when the cache cannot be read). */
  async function lookup(key: string): Promise<TextResponse | null> {
    try {
      const page = await cache.get(key, ttlMs);
      if (page === null) return null;
      return { status: page.status, url: page.url, headers: page.headers, text: page.text };
    } catch {
      return null;
    }
  }

  function remember(key: string, response: TextResponse): void {
    if (response.status < 200 || response.status > 299) return;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (!DROPPED_RESPONSE_HEADERS.has(name)) headers[name] = value;
    }
    // Not awaited: the answer goes back to the source now; a failed write only costs a later miss.
    cache
      .put(key, {
        status: response.status,
        url: redactUrl(response.url, 'mask'),
        headers,
        text: response.text,
        stored_at: new Date().toISOString(),
        source: sourceId,
      })
      .catch(() => {});
  }

  function checkSignals(requestOptions: RequestOptions | undefined): void {
    options.signal?.throwIfAborted();
    requestOptions?.signal?.throwIfAborted();
  }

  /** Only plain GETs are cached (a source may accept a 401 or 404 to read it, but only 2xx answers are stored). */
  function cacheable(requestOptions: RequestOptions | undefined): boolean {
    if (requestOptions === undefined) return true;
    return (requestOptions.method ?? 'GET') === 'GET' && requestOptions.body === undefined;
  }

  /** A stored answer the caller would not accept (an acceptStatus without 2xx) is not served. */
  function acceptable(hit: TextResponse, requestOptions: RequestOptions | undefined): boolean {
    return requestOptions?.acceptStatus === undefined || requestOptions.acceptStatus(hit.status);
  }

  return {
    async getText(url: string, requestOptions?: RequestOptions): Promise<TextResponse> {
      if (!cacheable(requestOptions)) return http.getText(url, requestOptions);
      const key = searchCacheKey(sourceId, url, requestOptions?.headers);
      const hit = await lookup(key);
      if (hit !== null && acceptable(hit, requestOptions)) {
        checkSignals(requestOptions);
        return hit;
      }
      const response = await http.getText(url, requestOptions);
      remember(key, response);
      return response;
    },

    async getJson<T = unknown>(url: string, requestOptions?: RequestOptions): Promise<TextResponse & { data: T }> {
      if (!cacheable(requestOptions)) return http.getJson<T>(url, requestOptions);
      // `json:` keeps a getJson answer apart from a getText of the same URL (different Accept).
      const key = `json:${searchCacheKey(sourceId, url, requestOptions?.headers)}`;
      const hit = await lookup(key);
      if (hit !== null && acceptable(hit, requestOptions)) {
        try {
          const data = parseJson<T>(hit, sourceId);
          checkSignals(requestOptions);
          return { ...hit, data };
        } catch (error) {
          if (options.signal?.aborted || requestOptions?.signal?.aborted) throw error;
          // A stored answer that no longer parses is dropped and fetched again, never fatal.
          await cache.delete(key).catch(() => {});
        }
      }
      const response = await http.getJson<T>(url, requestOptions);
      remember(key, response);
      return response;
    },
  };
}
