// Openverse: openly licensed images, GET /v1/images/?q=&page=&page_size=.
// Anonymous use works but is throttled (20 requests a minute, 200 a day) and capped at
// page_size 20 — a larger page_size without a token is refused with 401 — so pages are at most
// 20. Answers report the throttle as `X-RateLimit-Available-anon_burst` / `…-anon_sustained`.
// `filetype` and `filesize` are often null (recorded in fixtures/openverse/).
import { BlockedError, ParseError } from '../core/errors.ts';
import type { MediaCandidate } from '../core/types.ts';
import type { SearchQuery, Source, SourceContext } from './source.ts';
import { readJsonAnswer } from './parse/answer-body.ts';
import { candidate } from './parse/candidate.ts';
import { asCount, asId, asPositiveInt, asRecord, asString, dig, parseJsonBody } from './parse/json-shape.ts';
import { resultListOf } from './parse/result-page.ts';
import { httpUrl } from './parse/media-url.ts';
import { pageSizeFor, pageStream, walkPages, type Page } from './parse/paged-search.ts';
import { MAX_TITLE_CHARS, plainText } from './parse/plain-text.ts';
import { statusWithDetail } from './parse/refusal.ts';

const ID = 'openverse';
/** Largest page_size an anonymous client may ask for. */
export const OPENVERSE_MAX_PAGE_SIZE = 20;

const MIME_BY_FILETYPE: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
};

export interface OpenverseAnswer {
  candidates: MediaCandidate[];
  hasNext: boolean;
}

/** Parses one answer of GET /v1/images/ for `page` (1-based). ParseError without a `results` array. */
export function parseOpenverseImages(data: unknown, page: number): OpenverseAnswer {
  const results = resultListOf(ID, data, ['results'], [['result_count']]);
  const candidates: MediaCandidate[] = [];
  for (const r of results) {
    const c = openverseImage(r);
    if (c) candidates.push(c);
  }
  if (results.length > 0 && candidates.length === 0) {
    throw new ParseError(ID, `none of ${results.length} results has an id and an http(s) url`);
  }
  const pageCount = asCount(dig(data, 'page_count'));
  const resultCount = asCount(dig(data, 'result_count'));
  const pageSize = asPositiveInt(dig(data, 'page_size'));
  let hasNext = results.length > 0;
  if (pageCount !== undefined) hasNext &&= page < pageCount;
  else if (resultCount !== undefined && pageSize !== undefined) hasNext &&= page * pageSize < resultCount;
  return { candidates, hasNext };
}

/** One result: the file, its size, and the attribution Openverse gives (creator, license). */
export function openverseImage(result: unknown): MediaCandidate | undefined {
  const r = asRecord(result);
  const id = asId(r?.id);
  const url = httpUrl(r?.url);
  if (!r || !id || !url) return undefined;
  const filetype = asString(r.filetype)?.toLowerCase();
  return candidate({
    id: `${ID}:${id}`,
    source: ID,
    kind: 'image',
    url,
    width: asPositiveInt(r.width),
    height: asPositiveInt(r.height),
    title: plainText(r.title, MAX_TITLE_CHARS),
    pageUrl: httpUrl(r.foreign_landing_url),
    thumbnailUrl: httpUrl(r.thumbnail),
    author: plainText(r.creator),
    license: licenseName(r.license, r.license_version),
    licenseUrl: httpUrl(r.license_url) ?? licenseUrlOf(r.license, r.license_version),
    mime: filetype ? MIME_BY_FILETYPE[filetype] : undefined,
    bytes: asPositiveInt(r.filesize),
  });
}

function licenseParts(license: unknown, version: unknown): { code: string; version?: string } | undefined {
  const code = asString(license)?.toLowerCase();
  if (!code || !/^[a-z0-9+-]{2,20}$/.test(code)) return undefined;
  const v = asString(version);
  return { code, version: v && /^\d{1,2}(\.\d{1,2})?$/.test(v) ? v : undefined };
}

/** "CC BY-SA 2.0", "CC0 1.0", "Public Domain Mark 1.0" from Openverse's `license` and `license_version`. */
export function licenseName(license: unknown, version: unknown): string | undefined {
  const p = licenseParts(license, version);
  if (!p) return undefined;
  const suffix = p.version ? ` ${p.version}` : '';
  if (p.code === 'cc0') return `CC0${suffix}`;
  if (p.code === 'pdm') return `Public Domain Mark${suffix}`;
  return `CC ${p.code.toUpperCase()}${suffix}`;
}

/**
 * The deed's URL when the answer has no `license_url` (the trimmed recording lacks it): the
 * Creative Commons URL scheme is fixed, so it is derived rather than left empty.
 */
export function licenseUrlOf(license: unknown, version: unknown): string | undefined {
  const p = licenseParts(license, version);
  if (!p?.version) return undefined;
  if (p.code === 'cc0') return `https://creativecommons.org/publicdomain/zero/${p.version}/`;
  if (p.code === 'pdm') return `https://creativecommons.org/publicdomain/mark/${p.version}/`;
  if (/^by(-nc)?(-sa|-nd)?$/.test(p.code)) return `https://creativecommons.org/licenses/${p.code}/${p.version}/`;
  return undefined;
}

/** The smallest number of requests left among Openverse's throttle headers, if any. */
export function openverseRemaining(headers: Record<string, string>): number | undefined {
  let least: number | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name !== 'x-ratelimit-remaining' && !name.startsWith('x-ratelimit-available-')) continue;
    const n = Number(value.trim());
    if (Number.isFinite(n) && n >= 0) least = least === undefined ? n : Math.min(least, n);
  }
  return least === undefined ? undefined : Math.floor(least);
}

async function* searchOpenverse(query: SearchQuery, ctx: SourceContext): AsyncGenerator<MediaCandidate> {
  // Openverse has images and audio; a video-only job gets nothing here, without a request.
  if (query.type === 'video') return;
  const pageSize = pageSizeFor(query.limit, 1, OPENVERSE_MAX_PAGE_SIZE);
  const stream = pageStream(1, async (page): Promise<Page<number>> => {
    const params = new URLSearchParams({ q: query.text, page: String(page), page_size: String(pageSize) });
    const res = await ctx.http.getText(`${ctx.origin}/v1/images/?${params.toString()}`, {
      headers: { Accept: 'application/json' },
      acceptStatus: (s) => (s >= 200 && s < 300) || s === 401 || s === 403,
    });
    const remaining = openverseRemaining(res.headers);
    if (remaining !== undefined) ctx.reportRateLimit(remaining);
    if (res.status === 401 || res.status === 403) throw new BlockedError(ID, statusWithDetail(res.status, res.text));
    const parsed = parseOpenverseImages(parseJsonBody(ID, await readJsonAnswer(ID, res.text, ctx.signal)), page);
    return { entries: parsed.candidates, next: parsed.hasNext ? page + 1 : null };
  });
  yield* walkPages(ctx, [stream]);
}

export const source: Source = {
  id: ID,
  displayName: 'Openverse',
  kinds: ['image'],
  example: 'lighthouse',
  defaultOrigin: () => 'https://api.openverse.org',
  configured: () => ({ ok: true }),
  search: searchOpenverse,
};
