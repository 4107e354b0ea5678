// Unsplash. With UNSPLASH_ACCESS_KEY: GET /search/photos?query=&page=&per_page<=30 on
// https://api.unsplash.com with `Authorization: Client-ID <key>`; without it, the keyless
// GET /napi/search/photos on https://unsplash.com (what SearXNG and gallery-dl use), same
// envelope: {total, total_pages, results:[{id, width, height, description, alt_description,
// urls{raw,full,regular,small,thumb}, links{html,download_location}, user{name}}]}.
// UNSPLASH_BASE_URL overrides whichever origin is in use. X-Ratelimit-Remaining is reported.
// The API guidelines ask to call `links.download_location` (with the key) when a photo is
// downloaded: onSaved does that, keyed only — keyless answers point it at the keyed host.
// Unsplash+ photos (`premium`/`plus`, seen in /napi/ answers) are not free to use and are skipped.
//
// End of results: `results: []` (a page past total_pages answers that), or page == total_pages.
// An answer without a `results` array is a ParseError; 401/403 are BlockedErrors (a refused key,
// the rate limit); an HTML page on the keyless path is a bot challenge (BlockedError).
import { BlockedError, ParseError } from '../core/errors.ts';
import type { MediaCandidate } from '../core/types.ts';
import { readJsonAnswer, type JsonAnswer } from './parse/answer-body.ts';
import { asCount, asRecord, parseJsonBody } from './parse/json-shape.ts';
import { resultListOf } from './parse/result-page.ts';
import { httpUrl } from './parse/media-url.ts';
import { safeNativeId } from './parse/native-id.ts';
import { pageSizeFor, pageStream, reportRateLimitHeader, walkPages, type PageEntry } from './parse/paged-search.ts';
import { MAX_TITLE_CHARS, plainText } from './parse/plain-text.ts';
import { dimension } from './parse/size-text.ts';
import type { Source, SourceContext } from './source.ts';

const ID = 'unsplash';
export const UNSPLASH_MAX_PER_PAGE = 30;
const API_HOST = 'api.unsplash.com';
export const UNSPLASH_LICENSE = 'Unsplash License';
export const UNSPLASH_LICENSE_URL = 'https://unsplash.com/license';

export interface UnsplashPage {
  candidates: MediaCandidate[];
  /** Ids of Unsplash+ results, read but not yielded. */
  skippedIds: string[];
  totalPages: number | undefined;
}

/**
 * Candidates of one search answer. `keyed` decides whether `download_location` is kept as the
 * candidate's trackUrl. Throws ParseError when the answer is not JSON or has no `results` array.
 */
export function parseUnsplashPage(text: JsonAnswer, keyed: boolean): UnsplashPage {
  const data = asRecord(parseJsonBody(ID, text, 'the search answer'));
  const results = resultListOf(ID, data, ['results'], [['total']]);
  const candidates: MediaCandidate[] = [];
  const skippedIds: string[] = [];
  for (const item of results) {
    const r = asRecord(item);
    const nativeId = safeNativeId(r?.id);
    const urls = asRecord(r?.urls);
    // `full` is the photo at its full size as JPEG; `raw` the original file, which can be huge.
    const url = httpUrl(urls?.full) ?? httpUrl(urls?.raw) ?? httpUrl(urls?.regular);
    if (!r || !nativeId || !url) continue;
    const id = `${ID}:${nativeId}`;
    if (r.premium === true || r.plus === true) {
      skippedIds.push(id);
      continue;
    }
    const links = asRecord(r.links);
    const candidate: MediaCandidate = { id, source: ID, kind: 'image', url };
    const width = dimension(r.width);
    const height = dimension(r.height);
    if (width !== undefined && height !== undefined) {
      candidate.width = width;
      candidate.height = height;
    }
    const title = plainText(r.description, MAX_TITLE_CHARS) ?? plainText(r.alt_description, MAX_TITLE_CHARS);
    if (title !== undefined) candidate.title = title;
    const pageUrl = httpUrl(links?.html);
    if (pageUrl !== undefined) candidate.pageUrl = pageUrl;
    const thumbnailUrl = httpUrl(urls?.thumb) ?? httpUrl(urls?.small);
    if (thumbnailUrl !== undefined) candidate.thumbnailUrl = thumbnailUrl;
    const author = plainText(asRecord(r.user)?.name);
    if (author !== undefined) candidate.author = author;
    candidate.license = UNSPLASH_LICENSE;
    candidate.licenseUrl = UNSPLASH_LICENSE_URL;
    const trackUrl = keyed ? httpUrl(links?.download_location) : undefined;
    if (trackUrl !== undefined) candidate.trackUrl = trackUrl;
    candidates.push(candidate);
  }
  if (results.length > 0 && candidates.length === 0 && skippedIds.length === 0) {
    throw new ParseError(
      ID,
      `${results.length} results, none readable as a photo with an id and urls.full, raw or regular`,
    );
  }
  return { candidates, skippedIds, totalPages: asCount(data?.total_pages) };
}

function keyedHeaders(key: string): Record<string, string> {
  return { authorization: `Client-ID ${key}`, 'accept-version': 'v1', accept: 'application/json' };
}

/**
 * Where to call `download_location`: on the origin in use when it names the API host (so a
 * UNSPLASH_BASE_URL mirror or the simulation gets it), as is when it is already on that origin,
 * else nowhere — the key is never sent to a host an answer made up.
 */
export function trackUrlOn(trackUrl: string, origin: string): string | undefined {
  try {
    const u = new URL(trackUrl);
    const o = new URL(origin);
    if (u.hostname === API_HOST) return `${o.origin}${u.pathname}${u.search}`;
    if (u.origin === o.origin) return u.href;
  } catch {}
  return undefined;
}

function blockedReason(status: number, text: string, keyed: boolean): string {
  if (status === 401)
    return keyed
      ? 'HTTP 401: UNSPLASH_ACCESS_KEY was refused'
      : 'HTTP 401 on the keyless /napi/ search (set UNSPLASH_ACCESS_KEY)';
  return /rate limit/i.test(text) ? 'HTTP 403: rate limit exceeded' : 'HTTP 403';
}

export const source: Source = {
  id: ID,
  displayName: 'Unsplash',
  kinds: ['image'],
  example: 'mountain lake',
  keyVariable: 'UNSPLASH_ACCESS_KEY',
  defaultOrigin: (config) => (config.unsplashAccessKey ? `https://${API_HOST}` : 'https://unsplash.com'),
  // Configured either way: without the key the keyless /napi/ search is used.
  configured: () => ({ ok: true }),
  async *search(query, ctx) {
    if (query.type === 'video') return;
    const key = ctx.config.unsplashAccessKey;
    const path = key ? '/search/photos' : '/napi/search/photos';
    const headers = key ? keyedHeaders(key) : { accept: 'application/json' };
    const perPage = pageSizeFor(query.limit, 1, UNSPLASH_MAX_PER_PAGE);
    const pages = pageStream(1, async (page) => {
      const params = new URLSearchParams({ query: query.text, page: String(page), per_page: String(perPage) });
      const res = await ctx.http.getText(`${ctx.origin}${path}?${params}`, {
        headers,
        acceptStatus: (s) => (s >= 200 && s <= 299) || s === 401 || s === 403,
      });
      reportRateLimitHeader(ctx, res.headers);
      if (res.status === 401 || res.status === 403)
        throw new BlockedError(ID, blockedReason(res.status, res.text, key !== null));
      if (!key && ((res.headers['content-type'] ?? '').includes('text/html') || res.text.trimStart().startsWith('<'))) {
        throw new BlockedError(
          ID,
          'the keyless /napi/ search answered an HTML page, not JSON (a bot challenge?); set UNSPLASH_ACCESS_KEY',
        );
      }
      const parsed = parseUnsplashPage(
        await readJsonAnswer(ID, res.text, ctx.signal, 'the search answer'),
        key !== null,
      );
      const entries: PageEntry[] = [
        ...parsed.candidates,
        ...parsed.skippedIds.map((id) => ({ id, resolve: async () => undefined })),
      ];
      const more = entries.length > 0 && (parsed.totalPages === undefined || page < parsed.totalPages);
      return { entries, next: more ? page + 1 : null };
    });
    yield* walkPages(ctx, [pages]);
  },
  async onSaved(candidate: MediaCandidate, ctx: SourceContext) {
    const key = ctx.config.unsplashAccessKey;
    if (!key || !candidate.trackUrl) return;
    const url = trackUrlOn(candidate.trackUrl, ctx.origin);
    if (url === undefined) return;
    const res = await ctx.http.getText(url, { headers: keyedHeaders(key) });
    reportRateLimitHeader(ctx, res.headers);
  },
};
