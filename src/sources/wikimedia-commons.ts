// Wikimedia Commons: the MediaWiki API, GET /w/api.php with a CirrusSearch
// generator over the File namespace:
//   action=query&format=json&formatversion=2&generator=search&gsrnamespace=6
//   &gsrsearch=filetype:bitmap <q>   (filetype:video for videos, filetype:bitmap|video for both)
//   &gsrlimit=(≤50)&gsroffset=…&prop=imageinfo&iiprop=url|size|mime|extmetadata&iiurlwidth=640
// Searches that may return videos use prop=videoinfo (TimedMediaHandler's extension of
// imageinfo, same fields plus `derivatives`, the transcodes), so a 4K original can be skipped
// for a transcode within MAX_VIDEO_RESOLUTION. Paging forwards the `continue` object. Past the
// last result the answer is the envelope alone ({"batchcomplete":true}, or "" in
// formatversion 1), and a search that found nothing answers
// {"batchcomplete":"","query":{"searchinfo":{"totalhits":0}}}: both the end, not a changed layout. extmetadata values are HTML; an empty map
// may come as []; media URLs carry ?utm_… queries, kept as they are.
// Recorded answers: fixtures/wikimedia_commons/.
import { BlockedError, ParseError } from '../core/errors.ts';
import type { MediaCandidate, MediaType } from '../core/types.ts';
import type { SearchQuery, Source, SourceContext } from './source.ts';
import { readJsonAnswer } from './parse/answer-body.ts';
import { candidate } from './parse/candidate.ts';
import {
  asArray,
  asCount,
  asId,
  asNumber,
  asPositiveInt,
  asRecord,
  asString,
  dig,
  parseJsonBody,
} from './parse/json-shape.ts';
import { httpUrl } from './parse/media-url.ts';
import { pageSizeFor, pageStream, walkPages, type Page } from './parse/paged-search.ts';
import { htmlToText, MAX_TITLE_CHARS } from './parse/plain-text.ts';
import { pickRendition, type Rendition } from './parse/video-rendition.ts';
import { statusWithDetail } from './parse/refusal.ts';
import { jsonEvidence } from './parse/result-page.ts';

const ID = 'wikimedia_commons';
/** Largest gsrlimit for clients without the apihighlimits right. */
export const COMMONS_MAX_LIMIT = 50;
/** Width of the thumbnails asked for (iiurlwidth / viurlwidth), px. */
const THUMB_WIDTH = 640;
/** The extmetadata fields read; asking only for these keeps answers small. */
const EXTMETADATA_FIELDS = 'ObjectName|ImageDescription|Artist|LicenseShortName|LicenseUrl|UsageTerms';

/** CirrusSearch's filetype keyword for a media type (values OR'd with "|"). */
export function filetypeFilter(type: MediaType): string {
  if (type === 'video') return 'filetype:video';
  if (type === 'any') return 'filetype:bitmap|video';
  return 'filetype:bitmap';
}

/** The request parameters of one page; `cont` is the previous answer's `continue` object. */
export function commonsParams(query: SearchQuery, limit: number, cont: Record<string, string>): URLSearchParams {
  const video = query.type !== 'image';
  const p = video ? 'vi' : 'ii';
  const params = new URLSearchParams({
    action: 'query',
    format: 'json',
    formatversion: '2',
    generator: 'search',
    gsrsearch: `${filetypeFilter(query.type)} ${query.text}`,
    gsrnamespace: '6',
    gsrlimit: String(limit),
    prop: video ? 'videoinfo' : 'imageinfo',
    [`${p}prop`]: video ? 'url|size|mime|extmetadata|derivatives' : 'url|size|mime|extmetadata',
    [`${p}urlwidth`]: String(THUMB_WIDTH),
    [`${p}extmetadatafilter`]: EXTMETADATA_FIELDS,
  });
  for (const [key, value] of Object.entries(cont)) params.set(key, value);
  return params;
}

export interface CommonsAnswer {
  candidates: MediaCandidate[];
  /** The `continue` object to send with the next request, or null at the end of results. */
  next: Record<string, string> | null;
}

/**
 * Parses one answer, formatversion 2 (`pages` an array) or 1 (`pages` an object keyed by
 * pageid), in search rank order (`index`). The bare envelope is the end of results. ParseError
 * for an API error, for no `query.pages`, or when no page has a file URL.
 */
export function parseCommonsAnswer(data: unknown, maxVideoResolution: number): CommonsAnswer {
  const root = asRecord(data);
  if (!root) throw new ParseError(ID, 'answer is not a JSON object');
  const apiError = asRecord(root.error);
  if (apiError) {
    const code = htmlToText(apiError.code, 60) ?? 'unknown';
    const info = htmlToText(apiError.info, 200);
    throw new ParseError(ID, `API error ${code}${info ? `: ${info}` : ''}`);
  }
  const query = root.query;
  if (query === undefined) {
    // The envelope alone is MediaWiki's end of results; a `continue` without pages is an empty batch.
    if ('batchcomplete' in root || 'continue' in root) return { candidates: [], next: continueParams(root.continue) };
    throw new ParseError(ID, `no query.pages and no batchcomplete; came ${jsonEvidence(root)}`);
  }
  const rawPages = dig(query, 'pages');
  const pages = asArray(rawPages) ?? (asRecord(rawPages) ? Object.values(asRecord(rawPages)!) : undefined);
  if (!pages) {
    // A search that found nothing answers its searchinfo with 0 hits and no pages: the service saying so.
    if (asCount(dig(query, 'searchinfo', 'totalhits')) === 0) return { candidates: [], next: null };
    throw new ParseError(
      ID,
      `no query.pages and no query.searchinfo.totalhits: 0; came query as ${jsonEvidence(query)}`,
    );
  }
  const ranked = pages
    .map((page, position) => ({ page, rank: asNumber(dig(page, 'index')) ?? Number.MAX_SAFE_INTEGER, position }))
    .sort((a, b) => a.rank - b.rank || a.position - b.position);
  const candidates: MediaCandidate[] = [];
  let withFile = 0;
  for (const { page } of ranked) {
    if (httpUrl(dig(fileInfo(page), 'url'))) withFile++;
    const c = commonsFile(page, maxVideoResolution);
    if (c) candidates.push(c);
  }
  if (pages.length > 0 && withFile === 0)
    throw new ParseError(
      ID,
      `${pages.length} result pages, none readable as a file page with imageinfo/videoinfo holding a url`,
    );
  return { candidates, next: continueParams(root.continue) };
}

/** imageinfo[0] or videoinfo[0] of a page. */
function fileInfo(page: unknown): Record<string, unknown> | undefined {
  return asRecord(asArray(dig(page, 'imageinfo'))?.[0]) ?? asRecord(asArray(dig(page, 'videoinfo'))?.[0]);
}

/** The `continue` values to send back (MediaWiki's continuation protocol), or null. */
export function continueParams(value: unknown): Record<string, string> | null {
  const cont = asRecord(value);
  if (!cont) return null;
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(cont)) {
    if (!/^[a-z]{1,30}$/.test(key)) continue;
    if (typeof v === 'string' && v.length <= 200) out[key] = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out[key] = String(v);
  }
  return Object.keys(out).length > 0 ? out : null;
}

function metadataText(ext: Record<string, unknown> | undefined, field: string, maxChars?: number): string | undefined {
  return htmlToText(dig(ext, field, 'value'), maxChars);
}

/** "File:Foo bar.jpg" → "Foo bar". */
function titleFromPageTitle(title: unknown): string | undefined {
  const t = asString(title);
  return t ? htmlToText(t.replace(/^File:/i, '').replace(/\.[A-Za-z0-9]{1,5}$/, ''), MAX_TITLE_CHARS) : undefined;
}

/** The kind a file's MIME type says; audio and documents are not media Harvester saves. */
export function kindOfMime(mime: string | undefined): 'image' | 'video' | undefined {
  if (!mime) return undefined;
  if (mime.startsWith('image/')) return 'image';
  // Commons serves .ogv as application/ogg; filetype:video/bitmap keeps Ogg audio out.
  if (mime.startsWith('video/') || mime === 'application/ogg') return 'video';
  return undefined;
}

/** One file page: the file (or, for a video, the best transcode within the cap) and its attribution. */
export function commonsFile(page: unknown, maxVideoResolution: number): MediaCandidate | undefined {
  const info = fileInfo(page);
  const original = httpUrl(info?.url);
  if (!info || !original) return undefined;
  const mime = asString(info.mime)?.toLowerCase();
  const kind = kindOfMime(mime);
  if (!kind) return undefined;
  // The page id is stable across renames of the URL; the title is the fallback key.
  const nativeId = asId(dig(page, 'pageid')) ?? asId(dig(page, 'title'));
  if (!nativeId) return undefined;
  const ext = asRecord(info.extmetadata);
  let file: Rendition = {
    url: original,
    width: asPositiveInt(info.width),
    height: asPositiveInt(info.height),
    mime,
    bytes: asPositiveInt(info.size),
  };
  if (kind === 'video') {
    const chosen = pickRendition(videoRenditions(info, file), maxVideoResolution);
    if (!chosen) return undefined;
    file = chosen;
  }
  return candidate({
    id: `${ID}:${nativeId}`,
    source: ID,
    kind,
    url: file.url,
    width: file.width,
    height: file.height,
    title: metadataText(ext, 'ObjectName', MAX_TITLE_CHARS) ?? titleFromPageTitle(dig(page, 'title')),
    pageUrl: httpUrl(info.descriptionurl),
    thumbnailUrl: httpUrl(info.thumburl),
    author: metadataText(ext, 'Artist'),
    license: metadataText(ext, 'LicenseShortName'),
    licenseUrl: httpUrl(dig(ext, 'LicenseUrl', 'value')),
    mime: file.mime,
    bytes: file.bytes,
  });
}

/** The original and its transcodes (videoinfo `derivatives`: src, type, width, height). */
function videoRenditions(info: Record<string, unknown>, original: Rendition): Rendition[] {
  const out: Rendition[] = [original];
  for (const d of asArray(info.derivatives) ?? []) {
    const r = asRecord(d);
    const url = httpUrl(r?.src);
    if (!r || !url || url === original.url) continue;
    const mime = asString(r.type)?.split(';')[0]!.trim().toLowerCase();
    if (mime !== undefined && !mime.startsWith('video/')) continue;
    out.push({ url, width: asPositiveInt(r.width), height: asPositiveInt(r.height), mime });
  }
  return out;
}

async function* searchCommons(query: SearchQuery, ctx: SourceContext): AsyncGenerator<MediaCandidate> {
  const limit = pageSizeFor(query.limit, 1, COMMONS_MAX_LIMIT);
  const stream = pageStream<Record<string, string>>({}, async (cont): Promise<Page<Record<string, string>>> => {
    const params = commonsParams(query, limit, cont);
    // The client's default User-Agent names the tool and a contact URL, as Wikimedia's policy asks.
    const res = await ctx.http.getText(`${ctx.origin}/w/api.php?${params.toString()}`, {
      headers: { Accept: 'application/json' },
      acceptStatus: (s) => (s >= 200 && s < 300) || s === 403,
    });
    // Wikimedia answers 403 to clients its User-Agent policy or its abuse filters turn away.
    if (res.status === 403) throw new BlockedError(ID, statusWithDetail(res.status, res.text));
    const parsed = parseCommonsAnswer(
      parseJsonBody(ID, await readJsonAnswer(ID, res.text, ctx.signal)),
      ctx.config.maxVideoResolution,
    );
    // A `continue` that would ask for the same offset again is no progress: stop there.
    const next = parsed.next && parsed.next.gsroffset !== cont.gsroffset ? parsed.next : null;
    return { entries: parsed.candidates, next };
  });
  yield* walkPages(ctx, [stream]);
}

export const source: Source = {
  id: ID,
  displayName: 'Wikimedia Commons',
  kinds: ['image', 'video'],
  example: 'lighthouse',
  defaultOrigin: () => 'https://commons.wikimedia.org',
  configured: () => ({ ok: true }),
  search: searchCommons,
};
