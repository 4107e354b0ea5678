// Redirect following, by hand rather than by undici, so every hop passes the request guard.
// What the next hop sends follows the fetch standard: credentials never cross to another
// origin, and a 303 (or a 301/302 after a POST) becomes a GET without a body.
import { RedirectError } from '../core/errors.ts';

export const DEFAULT_MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** What one hop sends. */
export interface Hop {
  url: URL;
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  body: string | undefined;
}

/** Whether a response is a redirect to follow (with `maxRedirects` 0, none is). */
export function isFollowedRedirect(
  status: number,
  location: string | undefined,
  maxRedirects: number,
): location is string {
  return REDIRECT_STATUSES.has(status) && maxRedirects > 0 && location !== undefined;
}

/** The redirects of one request: counts hops, refuses loops, and builds each next hop. */
export class RedirectChain {
  private readonly visited: Set<string>;
  private hops = 0;

  constructor(
    private readonly firstUrl: string,
    first: URL,
    private readonly maxRedirects: number,
    /** The request guard's URL check, applied to every target. */
    private readonly checkUrl: (url: URL) => void,
  ) {
    this.visited = new Set([first.href]);
  }

  /** The hop that follows `hop`'s redirect answer (`status`, `location`); throws a RedirectError when it must not be followed. */
  next(hop: Hop, status: number, location: string): Hop {
    if (this.hops++ >= this.maxRedirects) {
      throw new RedirectError(`too many redirects (more than ${this.maxRedirects}) from ${this.firstUrl}`);
    }
    let url: URL;
    try {
      url = new URL(location, hop.url);
    } catch {
      throw new RedirectError(
        `invalid redirect Location ${JSON.stringify(location.slice(0, 200))} from ${hop.url.href}`,
      );
    }
    url.hash = '';
    if (this.visited.has(url.href)) throw new RedirectError(`redirect loop: ${url.href} was already visited`);
    this.visited.add(url.href);
    this.checkUrl(url);
    let { method, headers, body } = hop;
    if (url.origin !== hop.url.origin) {
      // Credentials meant for one origin must not follow a redirect to another.
      const { authorization: _a, cookie: _c, 'proxy-authorization': _p, ...rest } = headers;
      headers = rest;
    }
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      const { 'content-type': _t, 'content-length': _l, ...rest } = headers;
      headers = rest;
    }
    return { url, method, headers, body };
  }
}
