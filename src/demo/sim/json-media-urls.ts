// For simulations of JSON APIs: recorded answers point at the real media hosts; the
// simulation serves every media file itself, so each URL string on a media host is swapped
// for the simulation's media route (one distinct file per distinct URL).
import type { MediaKind } from '../../core/types.ts';
import type { SimHelpers } from './types.ts';

/** Decides whether a string is a media URL to rewrite, and as which kind; null keeps it. */
export type MediaUrlMatcher = (url: URL) => MediaKind | null;

/** A copy of a JSON value with every string passed through `change` (keys and other values kept). */
export function mapJsonStrings(value: unknown, change: (text: string) => string): unknown {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value)) return value.map((v) => mapJsonStrings(v, change));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapJsonStrings(v, change);
    return out;
  }
  return value;
}

/** A copy of `value` with every string the matcher accepts replaced by `sim.mediaUrl`. */
export function rewriteMediaUrls(value: unknown, sim: SimHelpers, match: MediaUrlMatcher): unknown {
  return mapJsonStrings(value, (text) => {
    if (!/^https?:\/\//i.test(text)) return text;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return text;
    }
    const kind = match(url);
    // The whole URL (path and query) is the key: Pexels serves sizes of one photo under one path.
    return kind ? sim.mediaUrl(`${url.hostname}${url.pathname}${url.search}`, kind) : text;
  });
}

/** `video` for paths of video files (and streaming playlists), else `image`. */
export function kindByPath(url: URL): MediaKind {
  return /\.(mp4|m4v|webm|ogv|mov|m3u8)$/i.test(url.pathname) ? 'video' : 'image';
}

/** A JSON answer with the headers a JSON API sends. */
export function jsonAnswer(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** The 1-based `page` query parameter; a missing or unusable value counts as page 1. */
export function pageParam(query: URLSearchParams, name = 'page'): number {
  const n = Number(query.get(name) ?? '1');
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}
