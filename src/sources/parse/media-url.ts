// Media and page URLs as services send them, made safe to hand to the downloader: absolute,
// http(s) only, no credentials, bounded length, raw spaces and Unicode percent-encoded.

/** Longest URL kept; anything longer is junk or an attack on logs and the store. */
export const MAX_URL_CHARS = 4096;

/**
 * An absolute http(s) URL from an untrusted value, or undefined. Protocol-relative URLs
 * (`//host/…`) get https; relative ones resolve against `base` when given. The query is kept
 * (Wikimedia's `?utm_…`, Pexels' `?auto=compress…` belong to the file's address).
 */
export function httpUrl(value: unknown, base?: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = value.trim();
  if (raw.length === 0 || raw.length > MAX_URL_CHARS) return undefined;
  let url: URL;
  try {
    url = raw.startsWith('//') ? new URL(`https:${raw}`) : new URL(raw, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.hostname === '') return undefined;
  url.hash = '';
  return url.href.length <= MAX_URL_CHARS ? url.href : undefined;
}

// Characters allowed as-is in a URL path (RFC 3986 pchar plus "/"), besides valid %XX escapes.
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

/**
 * Percent-encodes an href's path character by character, for services that put raw file
 * names in URLs (NASA: "…/Moon and Saturn~orig.mp4", "…Saturn’s Largest Moon…"). `?` and
 * `#` in such a path are part of the file name, not a query or fragment, so they are
 * encoded too; valid `%XX` escapes are kept, so an already-encoded href is not encoded twice.
 */
export function encodeRawPathUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = value.trim();
  if (raw.length > MAX_URL_CHARS) return undefined;
  const m = /^(https?:)\/\/([^/?#\s]+)(.*)$/i.exec(raw);
  if (!m) return undefined;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  let path = '';
  const chars = Array.from(rest);
  try {
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === '%' && /^[0-9A-Fa-f]{2}$/.test((chars[i + 1] ?? '') + (chars[i + 2] ?? ''))) path += c;
      else if (PATH_SAFE.test(c)) path += c;
      else path += encodeURIComponent(c);
    }
  } catch {
    return undefined; // a lone surrogate cannot be encoded: not a real file name
  }
  return httpUrl(`${scheme.toLowerCase()}//${authority}${path.startsWith('/') || path === '' ? path : `/${path}`}`);
}

/** The URL with `http:` upgraded to `https:` when its host is `host` or one of its subdomains. */
export function upgradeToHttpsOn(url: string, host: string): string {
  try {
    const u = new URL(url);
    const h = u.hostname.toLowerCase();
    if (u.protocol === 'http:' && (h === host || h.endsWith(`.${host}`))) {
      u.protocol = 'https:';
      return u.href;
    }
  } catch {}
  return url;
}
