// Pexels: JSON API, photos at GET /v1/search, videos at GET /videos/search, both
// `?query=&page=&per_page<=80` with header `Authorization: <PEXELS_API_KEY>` (200 requests an
// hour; `X-Ratelimit-Remaining` says how many are left). Paging follows `next_page`, but only
// its presence: the next request is built on ctx.origin, never on the absolute URL the
// service sends (that would leave a mirror or the simulation for the real host).
// Recorded answers: fixtures/pexels/ (photos-search.json, videos-search.json).
import { BlockedError, NotConfiguredError, ParseError } from '../core/errors.ts';
import type { MediaCandidate } from '../core/types.ts';
import { keyConfigured, type SearchQuery, type Source, type SourceContext } from './source.ts';
import { readJsonAnswer } from './parse/answer-body.ts';
import { candidate } from './parse/candidate.ts';
import { asArray, asId, asPositiveInt, asRecord, asString, dig, parseJsonBody } from './parse/json-shape.ts';
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
import { statusWithDetail } from './parse/refusal.ts';
import { pickRendition, type Rendition } from './parse/video-rendition.ts';

/** Every file the API serves is under the site's own licence; the answer does not repeat it per item. */
export const PEXELS_LICENSE = 'Pexels License';
export const PEXELS_LICENSE_URL = 'https://www.pexels.com/license/';

const ID = 'pexels';
/** The API's largest `per_page`. */
export const PEXELS_MAX_PER_PAGE = 80;

export interface PexelsPage {
  candidates: MediaCandidate[];
  /** `next_page` was present: the service has another page. */
  hasNext: boolean;
}

/** Parses one answer of GET /v1/search. Throws ParseError when there is no `photos` array. */
export function parsePexelsPhotos(data: unknown): PexelsPage {
  const photos = resultListOf(ID, data, ['photos'], [['total_results']]);
  const candidates: MediaCandidate[] = [];
  for (const photo of photos) {
    const c = pexelsPhoto(photo);
    if (c) candidates.push(c);
  }
  if (photos.length > 0 && candidates.length === 0) {
    throw new ParseError(ID, `none of ${photos.length} photos has an id and src.original`);
  }
  return { candidates, hasNext: asString(dig(data, 'next_page')) !== undefined };
}

/** One photo: the original file, its size, alt text, photographer and page. */
export function pexelsPhoto(photo: unknown): MediaCandidate | undefined {
  const p = asRecord(photo);
  const id = asId(p?.id);
  // `original` is the full-resolution file; the sized variants are resampled copies.
  const url = httpUrl(dig(p, 'src', 'original')) ?? httpUrl(dig(p, 'src', 'large2x'));
  if (!p || !id || !url) return undefined;
  return candidate({
    id: `${ID}:photo:${id}`,
    source: ID,
    kind: 'image',
    url,
    width: asPositiveInt(p.width),
    height: asPositiveInt(p.height),
    title: plainText(p.alt, MAX_TITLE_CHARS),
    pageUrl: httpUrl(p.url),
    thumbnailUrl: httpUrl(dig(p, 'src', 'medium')) ?? httpUrl(dig(p, 'src', 'tiny')),
    author: plainText(p.photographer),
    license: PEXELS_LICENSE,
    licenseUrl: PEXELS_LICENSE_URL,
  });
}

/** Parses one answer of GET /videos/search. Throws ParseError when there is no `videos` array. */
export function parsePexelsVideos(data: unknown, maxVideoResolution: number): PexelsPage {
  const videos = resultListOf(ID, data, ['videos'], [['total_results']]);
  const candidates: MediaCandidate[] = [];
  let recognised = 0;
  for (const video of videos) {
    const files = pexelsVideoFiles(video);
    if (asId(dig(video, 'id')) && files.length > 0) recognised++;
    const c = pexelsVideo(video, maxVideoResolution);
    if (c) candidates.push(c);
  }
  if (videos.length > 0 && recognised === 0) {
    throw new ParseError(ID, `none of ${videos.length} videos has an id and video_files with a link`);
  }
  return { candidates, hasNext: asString(dig(data, 'next_page')) !== undefined };
}

/** The usable entries of a video's `video_files` (http(s) link, a video MIME type if any). */
export function pexelsVideoFiles(video: unknown): Rendition[] {
  const files: Rendition[] = [];
  for (const f of asArray(dig(video, 'video_files')) ?? []) {
    const r = asRecord(f);
    const url = httpUrl(r?.link);
    if (!r || !url) continue;
    const mime = asString(r.file_type)?.toLowerCase();
    // Streaming playlists (HLS) are not files to save; older answers list one as
    // "file_type":"video/mp4" with a .m3u8 link and null sizes (fixtures/pexels/video-2499611.json).
    if ((mime !== undefined && !mime.startsWith('video/')) || /\.m3u8$/i.test(new URL(url).pathname)) continue;
    files.push({
      url,
      width: asPositiveInt(r.width),
      height: asPositiveInt(r.height),
      mime,
      bytes: asPositiveInt(r.size),
    });
  }
  return files;
}

/** One video: the best file within the cap (shorter side), or undefined when none fits. */
export function pexelsVideo(video: unknown, maxVideoResolution: number): MediaCandidate | undefined {
  const v = asRecord(video);
  const id = asId(v?.id);
  if (!v || !id) return undefined;
  const file = pickRendition(pexelsVideoFiles(v), maxVideoResolution);
  if (!file) return undefined;
  const firstPicture = dig(asArray(v.video_pictures)?.[0], 'picture');
  return candidate({
    id: `${ID}:video:${id}`,
    source: ID,
    kind: 'video',
    url: file.url,
    width: file.width,
    height: file.height,
    mime: file.mime,
    bytes: file.bytes,
    pageUrl: httpUrl(v.url),
    thumbnailUrl: httpUrl(v.image) ?? httpUrl(firstPicture),
    author: plainText(dig(v, 'user', 'name')),
    license: PEXELS_LICENSE,
    licenseUrl: PEXELS_LICENSE_URL,
  });
}

async function fetchPexelsPage(
  ctx: SourceContext,
  path: '/v1/search' | '/videos/search',
  params: URLSearchParams,
  key: string,
): Promise<unknown> {
  const url = `${ctx.origin}${path}?${params.toString()}`;
  const res = await ctx.http.getText(url, {
    headers: { Authorization: key, Accept: 'application/json' },
    acceptStatus: (s) => (s >= 200 && s < 300) || s === 401 || s === 403,
  });
  reportRateLimitHeader(ctx, res.headers);
  if (res.status === 401 || res.status === 403) {
    throw new BlockedError(ID, `PEXELS_API_KEY was refused (${statusWithDetail(res.status, res.text)})`);
  }
  return parseJsonBody(ID, await readJsonAnswer(ID, res.text, ctx.signal));
}

async function* searchPexels(query: SearchQuery, ctx: SourceContext): AsyncGenerator<MediaCandidate> {
  const key = ctx.config.pexelsApiKey;
  if (!key) throw new NotConfiguredError(ID, 'PEXELS_API_KEY');
  const both = query.type === 'any';
  // With both kinds wanted, each stream asks for half, so the first pages already mix them.
  const perPage = pageSizeFor(both ? Math.ceil(query.limit / 2) : query.limit, 1, PEXELS_MAX_PER_PAGE);
  const streams: PageStream[] = [];
  const stream = (path: '/v1/search' | '/videos/search', parse: (data: unknown) => PexelsPage): PageStream =>
    pageStream(1, async (page): Promise<Page<number>> => {
      const params = new URLSearchParams({ query: query.text, page: String(page), per_page: String(perPage) });
      const parsed = parse(await fetchPexelsPage(ctx, path, params, key));
      return { entries: parsed.candidates, next: parsed.hasNext ? page + 1 : null };
    });
  if (query.type !== 'video') streams.push(stream('/v1/search', parsePexelsPhotos));
  if (query.type !== 'image') {
    streams.push(stream('/videos/search', (data) => parsePexelsVideos(data, ctx.config.maxVideoResolution)));
  }
  yield* walkPages(ctx, streams);
}

export const source: Source = {
  id: ID,
  displayName: 'Pexels',
  kinds: ['image', 'video'],
  example: 'mountain lake',
  defaultOrigin: () => 'https://api.pexels.com',
  keyVariable: 'PEXELS_API_KEY',
  configured: (config) => keyConfigured(ID, 'PEXELS_API_KEY', config.pexelsApiKey),
  search: searchPexels,
};
