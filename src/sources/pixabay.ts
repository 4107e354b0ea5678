// Pixabay: GET /api/?key=&q=&image_type=all&per_page=&page= for images,
// GET /api/videos/?key=&q=&video_type=all&per_page=&page= for videos; per_page 3–200; only
// `totalHits` results are reachable, so paging stops there; `q` is at most 100 characters.
// Errors come as an HTTP status with a plain-text body ("[ERROR 400] …"). Rate limit in
// `X-RateLimit-Remaining`. Recorded answers: fixtures/pixabay/.
import { BlockedError, HttpStatusError, NotConfiguredError, ParseError } from '../core/errors.ts';
import type { MediaCandidate } from '../core/types.ts';
import { keyConfigured, type SearchQuery, type Source, type SourceContext } from './source.ts';
import { readJsonAnswer } from './parse/answer-body.ts';
import { candidate } from './parse/candidate.ts';
import { asCount, asId, asPositiveInt, asRecord, dig, parseJsonBody } from './parse/json-shape.ts';
import { resultListOf } from './parse/result-page.ts';
import { httpUrl } from './parse/media-url.ts';
import {
  pageSizeFor,
  pageStream,
  reportRateLimitHeader,
  walkPages,
  type Page,
  type PageStream,
} from './parse/paged-search.ts';
import { MAX_TITLE_CHARS, plainText } from './parse/plain-text.ts';
import { refusalDetail, statusWithDetail } from './parse/refusal.ts';
import { pickRendition, type Rendition } from './parse/video-rendition.ts';

/** Every file the API serves is under the site's own licence; the answer does not repeat it per item. */
export const PIXABAY_LICENSE = 'Pixabay Content License';
export const PIXABAY_LICENSE_URL = 'https://pixabay.com/service/license-summary/';

const ID = 'pixabay';
export const PIXABAY_MIN_PER_PAGE = 3;
export const PIXABAY_MAX_PER_PAGE = 200;
/** The API refuses longer queries. */
const MAX_QUERY_CHARS = 100;
/** Video sizes in the order the API lists them, largest first. */
const VIDEO_SIZES = ['large', 'medium', 'small', 'tiny'] as const;

export interface PixabayPage {
  candidates: MediaCandidate[];
  hasNext: boolean;
}

function hitsOf(data: unknown): unknown[] {
  const hits = resultListOf(ID, data, ['hits'], [['totalHits'], ['total']]);
  return hits;
}

function hasNextPage(data: unknown, hits: unknown[], page: number, perPage: number): boolean {
  const totalHits = asCount(dig(data, 'totalHits'));
  return hits.length > 0 && (totalHits === undefined || page * perPage < totalHits);
}

/** Parses one answer of GET /api/ (page `page` of `perPage`). ParseError without a `hits` array. */
export function parsePixabayImages(data: unknown, page: number, perPage: number): PixabayPage {
  const hits = hitsOf(data);
  const candidates = hits.map(pixabayImage).filter((c): c is MediaCandidate => c !== undefined);
  if (hits.length > 0 && candidates.length === 0)
    throw new ParseError(ID, `none of ${hits.length} hits has an id and largeImageURL or webformatURL`);
  return { candidates, hasNext: hasNextPage(data, hits, page, perPage) };
}

/** One image hit: `largeImageURL` (at most 1280 px a side), else `webformatURL` (640 px). */
export function pixabayImage(hit: unknown): MediaCandidate | undefined {
  const h = asRecord(hit);
  const id = asId(h?.id);
  if (!h || !id) return undefined;
  const large = httpUrl(h.largeImageURL);
  const web = httpUrl(h.webformatURL);
  const url = large ?? web;
  if (!url) return undefined;
  return candidate({
    id: `${ID}:image:${id}`,
    source: ID,
    kind: 'image',
    url,
    // imageWidth/imageHeight describe the original, not the 1280 px copy; the web format's are its own.
    width: large ? undefined : asPositiveInt(h.webformatWidth),
    height: large ? undefined : asPositiveInt(h.webformatHeight),
    title: plainText(h.tags, MAX_TITLE_CHARS),
    pageUrl: httpUrl(h.pageURL),
    thumbnailUrl: (large ? web : undefined) ?? httpUrl(h.previewURL),
    author: plainText(h.user),
    license: PIXABAY_LICENSE,
    licenseUrl: PIXABAY_LICENSE_URL,
  });
}

/** Parses one answer of GET /api/videos/. ParseError without a `hits` array. */
export function parsePixabayVideos(
  data: unknown,
  page: number,
  perPage: number,
  maxVideoResolution: number,
): PixabayPage {
  const hits = hitsOf(data);
  const candidates: MediaCandidate[] = [];
  let recognised = 0;
  for (const hit of hits) {
    if (asId(dig(hit, 'id')) && pixabayVideoFiles(hit).length > 0) recognised++;
    const c = pixabayVideo(hit, maxVideoResolution);
    if (c) candidates.push(c);
  }
  if (hits.length > 0 && recognised === 0)
    throw new ParseError(ID, `none of ${hits.length} hits has an id and a video with a url`);
  return { candidates, hasNext: hasNextPage(data, hits, page, perPage) };
}

type VideoFile = Rendition & { thumbnail?: string };

/** The sizes of a video hit that have a URL (a missing size has "url": "" and size 0). */
export function pixabayVideoFiles(hit: unknown): VideoFile[] {
  const files: VideoFile[] = [];
  for (const size of VIDEO_SIZES) {
    const v = asRecord(dig(hit, 'videos', size));
    const url = httpUrl(v?.url);
    if (!v || !url) continue;
    files.push({
      url,
      width: asPositiveInt(v.width),
      height: asPositiveInt(v.height),
      bytes: asPositiveInt(v.size),
      thumbnail: httpUrl(v.thumbnail),
    });
  }
  return files;
}

/** One video hit: the largest size within the cap (shorter side), or undefined when none fits. */
export function pixabayVideo(hit: unknown, maxVideoResolution: number): MediaCandidate | undefined {
  const h = asRecord(hit);
  const id = asId(h?.id);
  if (!h || !id) return undefined;
  const files = pixabayVideoFiles(h);
  const file = pickRendition(files, maxVideoResolution);
  if (!file) return undefined;
  return candidate({
    id: `${ID}:video:${id}`,
    source: ID,
    kind: 'video',
    url: file.url,
    width: file.width,
    height: file.height,
    bytes: file.bytes,
    title: plainText(h.tags, MAX_TITLE_CHARS),
    pageUrl: httpUrl(h.pageURL),
    thumbnailUrl: file.thumbnail ?? files.find((f) => f.thumbnail)?.thumbnail,
    author: plainText(h.user),
    license: PIXABAY_LICENSE,
    licenseUrl: PIXABAY_LICENSE_URL,
  });
}

/** The request URL with the key hidden, for errors that end up in logs. */
function redacted(url: string): string {
  return url.replace(/([?&]key=)[^&]*/, '$1REDACTED');
}

async function fetchPixabayPage(ctx: SourceContext, url: string): Promise<unknown | 'out-of-range'> {
  const res = await ctx.http.getText(url, {
    headers: { Accept: 'application/json' },
    acceptStatus: (s) => (s >= 200 && s < 300) || s === 400 || s === 401 || s === 403,
  });
  reportRateLimitHeader(ctx, res.headers);
  if (res.status >= 400) {
    const detail = refusalDetail(res.text);
    if (/key/i.test(detail ?? '') || res.status !== 400) {
      throw new BlockedError(ID, `PIXABAY_API_KEY was refused (${statusWithDetail(res.status, res.text)})`);
    }
    // Asking past the reachable results ("page" out of range) is the end of results.
    if (/page/i.test(detail ?? '') && /range/i.test(detail ?? '')) return 'out-of-range';
    throw new HttpStatusError(res.status, redacted(url));
  }
  return parseJsonBody(ID, await readJsonAnswer(ID, res.text, ctx.signal));
}

async function* searchPixabay(query: SearchQuery, ctx: SourceContext): AsyncGenerator<MediaCandidate> {
  const key = ctx.config.pixabayApiKey;
  if (!key) throw new NotConfiguredError(ID, 'PIXABAY_API_KEY');
  const both = query.type === 'any';
  const perPage = pageSizeFor(
    both ? Math.ceil(query.limit / 2) : query.limit,
    PIXABAY_MIN_PER_PAGE,
    PIXABAY_MAX_PER_PAGE,
  );
  const q = Array.from(query.text).slice(0, MAX_QUERY_CHARS).join('');
  const stream = (
    path: '/api/' | '/api/videos/',
    typeParam: Record<string, string>,
    parse: (data: unknown, page: number) => PixabayPage,
  ): PageStream =>
    pageStream(1, async (page): Promise<Page<number>> => {
      const params = new URLSearchParams({ key, q, ...typeParam, per_page: String(perPage), page: String(page) });
      const data = await fetchPixabayPage(ctx, `${ctx.origin}${path}?${params.toString()}`);
      if (data === 'out-of-range') return { entries: [], next: null };
      const parsed = parse(data, page);
      return { entries: parsed.candidates, next: parsed.hasNext ? page + 1 : null };
    });
  const streams: PageStream[] = [];
  if (query.type !== 'video')
    streams.push(stream('/api/', { image_type: 'all' }, (d, p) => parsePixabayImages(d, p, perPage)));
  if (query.type !== 'image') {
    streams.push(
      stream('/api/videos/', { video_type: 'all' }, (d, p) =>
        parsePixabayVideos(d, p, perPage, ctx.config.maxVideoResolution),
      ),
    );
  }
  yield* walkPages(ctx, streams);
}

export const source: Source = {
  id: ID,
  displayName: 'Pixabay',
  kinds: ['image', 'video'],
  example: 'hot air balloon',
  defaultOrigin: () => 'https://pixabay.com',
  keyVariable: 'PIXABAY_API_KEY',
  configured: (config) => keyConfigured(ID, 'PIXABAY_API_KEY', config.pixabayApiKey),
  search: searchPixabay,
};
