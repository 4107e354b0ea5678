// What a source is (docs/ARCHITECTURE.md, "Adding a source"): one file per source under
// src/sources/, each exporting a `Source`, listed in ./index.ts. Sources only yield candidates:
// they never download, write files, touch the store or print, so a source stays a thin parser
// that tests can run against recorded answers.
import type { Config } from '../core/config.ts';
import { NotConfiguredError } from '../core/errors.ts';
import type { MediaCandidate, MediaKind, MediaType, SourceId } from '../core/types.ts';
import type { SourceHttp } from '../http/types.ts';

export interface SearchQuery {
  /** The user's query text. */
  text: string;
  /** What the job wants; a source may skip kinds it would only have filtered out later. */
  type: MediaType;
  /** Files wanted from this source; a source should fetch about this many candidates (plus some slack for failures and duplicates) and then stop paging. */
  limit: number;
}

/** Everything a source needs, with policies already applied. */
export interface SourceContext {
  /** Timeouts, retries (transient only), per-host limits, private-network guard, User-Agent and, unless disabled, the search cache already applied. */
  http: SourceHttp;
  /** The source's deadline and the job's cancel, combined. Pass it to nothing: `http` already has it. Check it between pages. */
  signal: AbortSignal;
  config: Config;
  /** The origin to request: `<ID>_BASE_URL` or the real one, without trailing slash. */
  origin: string;
  /** Most search pages to request (a stop against endless paging). */
  maxPages: number;
  /** Reports the service's rate-limit headers (`X-Ratelimit-Remaining`) for the source's stats. */
  reportRateLimit(remaining: number): void;
  /** Reports one search page requested (for the source's stats). */
  reportPage(): void;
}

export interface Source {
  id: SourceId;
  displayName: string;
  kinds: readonly MediaKind[];
  /** An example query, for docs and `harvester sources`. */
  example: string;
  /** The real origin the source talks to (may depend on configuration, as Unsplash's does). */
  defaultOrigin(config: Config): string;
  /** The variable holding the key, if the source needs one (Unsplash's is optional). */
  keyVariable?: 'UNSPLASH_ACCESS_KEY' | 'PEXELS_API_KEY' | 'PIXABAY_API_KEY';
  /** Whether the source can run with this configuration; `reason` names the missing variable. */
  configured(config: Config): { ok: true } | { ok: false; reason: string };
  /**
   * Yields candidates for `query`, paging until it has `query.limit` (plus slack), results
   * run out (a page that adds nothing new) or `ctx.maxPages`. Throws ParseError when a page
   * has no recognisable result markup, BlockedError on a block or captcha, NotConfiguredError
   * without its key. Never yields the same `id` twice.
   */
  search(query: SearchQuery, ctx: SourceContext): AsyncIterable<MediaCandidate>;
  /** Called after a candidate of this source was saved (Unsplash: call `download_location`). Errors are logged, not fatal. */
  onSaved?(candidate: MediaCandidate, ctx: SourceContext): Promise<void>;
}

/** The origin a source should use with this configuration. */
export function originOf(source: Source, config: Config): string {
  return config.baseUrls[source.id] ?? source.defaultOrigin(config);
}

/** `configured` of a source that cannot run without `variable`: the reason reads as the NotConfiguredError its search throws. */
export function keyConfigured(
  id: SourceId,
  variable: string,
  key: string | null,
): { ok: true } | { ok: false; reason: string } {
  return key ? { ok: true } : { ok: false, reason: new NotConfiguredError(id, variable).message };
}
