// NASA Image and Video Library: GET /search?q=&media_type=&page=&page_size=
// (Collection+JSON: collection.items[].data[0] holds nasa_id, title, media_type, photographer;
// links[] the previews; collection.links rel=next the next page), then GET /asset/{nasa_id}
// for the list of files (~orig, ~large, ~medium, ~small… with no sizes). The asset list is
// requested lazily, just before the item is yielded. Newer search answers (collection 1.1)
// already list ~large/~medium/~orig image links with their sizes: those images need no asset
// request. hrefs hold raw spaces, Unicode and http:// — they are percent-encoded, and http is
// upgraded to https only on NASA's own hosts. Recorded answers: fixtures/nasa_images/.
import { BlockedError, ParseError } from '../core/errors.ts';
import type { MediaCandidate, MediaKind } from '../core/types.ts';
import type { SearchQuery, Source, SourceContext } from './source.ts';
import { readJsonAnswer } from './parse/answer-body.ts';
import { candidate } from './parse/candidate.ts';
import { asArray, asId, asPositiveInt, asRecord, asString, dig, parseJsonBody } from './parse/json-shape.ts';
import { resultListOf } from './parse/result-page.ts';
import { encodeRawPathUrl, upgradeToHttpsOn } from './parse/media-url.ts';
import { pageSizeFor, pageStream, walkPages, type LazyCandidate, type Page } from './parse/paged-search.ts';
import { MAX_TITLE_CHARS, plainText } from './parse/plain-text.ts';
import { statusWithDetail } from './parse/refusal.ts';

const ID = 'nasa_images';
export const NASA_MAX_PAGE_SIZE = 100;

/** An href as a safe absolute URL: raw characters encoded, https on *.nasa.gov. */
export function nasaUrl(href: unknown): string | undefined {
  const url = encodeRawPathUrl(href);
  return url ? upgradeToHttpsOn(url, 'nasa.gov') : undefined;
}

export interface NasaFile {
  url: string;
  /** The rendition name after "~" (orig, large, medium, small, thumb, mobile, preview…). */
  variant: string;
  ext: string;
  width?: number;
  height?: number;
  bytes?: number;
}

/** The rendition and extension of a NASA file URL ("…/x~large.jpg" → large, jpg). */
export function fileOf(
  url: string,
  sizes: { width?: number; height?: number; bytes?: number } = {},
): NasaFile | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    return undefined;
  }
  const m = /~([a-z0-9_]+)\.([a-z0-9]{2,5})$/i.exec(path);
  if (!m) return undefined;
  return { url, variant: m[1]!.toLowerCase(), ext: m[2]!.toLowerCase(), ...sizes };
}

const IMAGE_EXTS = new Set(['jpg', 'jpeg', 'png', 'gif', 'tif', 'tiff', 'webp']);
/** ~orig is the master and can be huge, so the web renditions come first (source-samples README). */
const IMAGE_PREFERENCE = ['large', 'medium', 'orig', 'small'];
/**
 * NASA lists video renditions without sizes. Their usual shorter sides — an assumption from
 * the rendition names, not something the API states — decide which fit MAX_VIDEO_RESOLUTION:
 * large ~1080, medium ~720, small/mobile/preview smaller. ~orig (the master, often larger than
 * 1080p) is the last resort and only under a cap of at least 2160.
 */
const VIDEO_NOMINAL_SHORT_SIDE: Record<string, number> = {
  large: 1080,
  medium: 720,
  small: 480,
  mobile: 360,
  preview: 360,
  orig: 2160,
};
const VIDEO_PREFERENCE = ['large', 'medium', 'small', 'mobile', 'preview', 'orig'];

/** The file to save among `files` for an item of `kind`, or undefined when none fits. */
export function pickNasaFile(
  files: readonly NasaFile[],
  kind: MediaKind,
  maxVideoResolution: number,
): NasaFile | undefined {
  if (kind === 'image') {
    for (const variant of IMAGE_PREFERENCE) {
      const f = files.find((x) => x.variant === variant && IMAGE_EXTS.has(x.ext));
      if (f) return f;
    }
    return undefined;
  }
  for (const variant of VIDEO_PREFERENCE) {
    if (VIDEO_NOMINAL_SHORT_SIDE[variant]! > maxVideoResolution) continue;
    const f = files.find((x) => x.variant === variant && x.ext === 'mp4');
    if (f) return f;
  }
  return undefined;
}

export interface NasaItem {
  nasaId: string;
  kind: MediaKind;
  title?: string;
  author?: string;
  thumbnailUrl?: string;
  /** Image renditions the search answer already lists (collection 1.1), with their sizes. */
  linkedFiles: NasaFile[];
}

export interface NasaSearchPage {
  items: NasaItem[];
  hasNext: boolean;
}

/** Parses one answer of GET /search. ParseError without `collection.items`. */
export function parseNasaSearch(data: unknown): NasaSearchPage {
  const items = resultListOf(ID, data, ['collection', 'items'], [['collection', 'metadata', 'total_hits']]);
  const parsed = items.map(nasaItem).filter((i): i is NasaItem => i !== undefined);
  const identified = items.filter((i) => asId(dig(asArray(dig(i, 'data'))?.[0], 'nasa_id')) !== undefined).length;
  if (items.length > 0 && identified === 0) {
    throw new ParseError(ID, `none of ${items.length} items has data[0].nasa_id`);
  }
  const next = (asArray(dig(data, 'collection', 'links')) ?? []).some(
    (l) => asString(dig(l, 'rel'))?.toLowerCase() === 'next',
  );
  return { items: parsed, hasNext: items.length > 0 && next };
}

/** One search item (audio and unknown media types are skipped). */
export function nasaItem(item: unknown): NasaItem | undefined {
  const data = asRecord(asArray(dig(item, 'data'))?.[0]);
  const nasaId = asId(data?.nasa_id);
  const mediaType = asString(data?.media_type);
  if (!data || !nasaId || (mediaType !== 'image' && mediaType !== 'video')) return undefined;
  const links = asArray(dig(item, 'links')) ?? [];
  let thumbnailUrl: string | undefined;
  const linkedFiles: NasaFile[] = [];
  for (const l of links) {
    const rel = asString(dig(l, 'rel'))?.toLowerCase();
    const url = nasaUrl(dig(l, 'href'));
    if (!url) continue;
    if (rel === 'preview') thumbnailUrl ??= url;
    else if ((rel === 'alternate' || rel === 'canonical') && asString(dig(l, 'render')) === 'image') {
      const f = fileOf(url, {
        width: asPositiveInt(dig(l, 'width')),
        height: asPositiveInt(dig(l, 'height')),
        bytes: asPositiveInt(dig(l, 'size')),
      });
      if (f) linkedFiles.push(f);
    }
  }
  return {
    nasaId,
    kind: mediaType,
    title: plainText(data.title, MAX_TITLE_CHARS),
    author: plainText(data.photographer) ?? plainText(data.secondary_creator),
    thumbnailUrl,
    linkedFiles,
  };
}

/** Parses GET /asset/{nasa_id}: the files. ParseError without `collection.items`. */
export function parseNasaAsset(data: unknown): NasaFile[] {
  const items = resultListOf(ID, data, ['collection', 'items']);
  const files: NasaFile[] = [];
  for (const i of items) {
    const url = nasaUrl(dig(i, 'href'));
    const f = url ? fileOf(url) : undefined;
    if (f) files.push(f);
  }
  return files;
}

/** The candidate for an item and its chosen file. */
export function nasaCandidate(item: NasaItem, file: NasaFile): MediaCandidate {
  return candidate({
    id: `${ID}:${item.nasaId}`,
    source: ID,
    kind: item.kind,
    url: file.url,
    width: file.width,
    height: file.height,
    bytes: file.bytes,
    title: item.title,
    // The library's public page for the item (the API gives only its JSON manifest).
    pageUrl: `https://images.nasa.gov/details/${encodeURIComponent(item.nasaId)}`,
    thumbnailUrl: item.thumbnailUrl,
    author: item.author,
    mime: file.ext === 'mp4' ? 'video/mp4' : undefined,
  });
}

function mediaTypeParam(type: SearchQuery['type']): string {
  return type === 'any' ? 'image,video' : type;
}

function lazyCandidate(item: NasaItem, ctx: SourceContext): LazyCandidate {
  return {
    id: `${ID}:${item.nasaId}`,
    async resolve() {
      const linked =
        item.kind === 'image' ? pickNasaFile(item.linkedFiles, 'image', ctx.config.maxVideoResolution) : undefined;
      if (linked) return nasaCandidate(item, linked);
      const res = await ctx.http.getText(`${ctx.origin}/asset/${encodeURIComponent(item.nasaId)}`, {
        headers: { Accept: 'application/json' },
        acceptStatus: (s) => (s >= 200 && s < 300) || s === 404,
      });
      // An item whose asset list is gone is skipped, not the whole source.
      if (res.status === 404) return undefined;
      const file = pickNasaFile(
        parseNasaAsset(parseJsonBody(ID, await readJsonAnswer(ID, res.text, ctx.signal, 'asset list'), 'asset list')),
        item.kind,
        ctx.config.maxVideoResolution,
      );
      return file ? nasaCandidate(item, file) : undefined;
    },
  };
}

async function* searchNasa(query: SearchQuery, ctx: SourceContext): AsyncGenerator<MediaCandidate> {
  const pageSize = pageSizeFor(query.limit, 1, NASA_MAX_PAGE_SIZE);
  const stream = pageStream(1, async (page): Promise<Page<number>> => {
    const params = new URLSearchParams({
      q: query.text,
      media_type: mediaTypeParam(query.type),
      page: String(page),
      page_size: String(pageSize),
    });
    const res = await ctx.http.getText(`${ctx.origin}/search?${params.toString()}`, {
      headers: { Accept: 'application/json' },
      acceptStatus: (s) => (s >= 200 && s < 300) || s === 403,
    });
    if (res.status === 403) throw new BlockedError(ID, statusWithDetail(res.status, res.text));
    const parsed = parseNasaSearch(parseJsonBody(ID, await readJsonAnswer(ID, res.text, ctx.signal)));
    const wanted = parsed.items.filter((i) => query.type === 'any' || i.kind === query.type);
    return { entries: wanted.map((i) => lazyCandidate(i, ctx)), next: parsed.hasNext ? page + 1 : null };
  });
  yield* walkPages(ctx, [stream]);
}

export const source: Source = {
  id: ID,
  displayName: 'NASA Image and Video Library',
  kinds: ['image', 'video'],
  example: 'apollo 11',
  defaultOrigin: () => 'https://images-api.nasa.gov',
  configured: () => ({ ok: true }),
  search: searchNasa,
};
