// The paging loop every API source shares: request a page only when the consumer wants more,
// never yield an id twice, and stop when a page adds nothing new, when the service says there
// is no next page, or at ctx.maxPages (icrawler #133: endless paging when results run out).
import type { MediaCandidate } from '../../core/types.ts';
import type { SourceContext } from '../source.ts';

/** A candidate that needs more requests to complete (NASA's asset list), made only when reached. */
export interface LazyCandidate {
  id: string;
  /** The finished candidate, or undefined when the item turns out to have no usable file. */
  resolve(): Promise<MediaCandidate | undefined>;
}

export type PageEntry = MediaCandidate | LazyCandidate;

export interface Page<Cursor> {
  entries: PageEntry[];
  /** Where the next page is, or null when the service says this was the last one. */
  next: Cursor | null;
}

/** One sequence of pages (a source may walk two at once, e.g. photos and videos). */
export interface PageStream {
  /** Requests the stream's next page; `hasNext` false once the stream has ended. */
  fetchNext(): Promise<{ entries: PageEntry[]; hasNext: boolean }>;
}

/** A stream starting at `first`, each page telling where the next one is. */
export function pageStream<Cursor>(first: Cursor, fetchPage: (cursor: Cursor) => Promise<Page<Cursor>>): PageStream {
  let cursor = first;
  return {
    async fetchNext() {
      const page = await fetchPage(cursor);
      if (page.next !== null) cursor = page.next;
      return { entries: page.entries, hasNext: page.next !== null };
    },
  };
}

function isLazy(entry: PageEntry): entry is LazyCandidate {
  return typeof (entry as LazyCandidate).resolve === 'function';
}

/**
 * Yields the candidates of `streams`, taking one page from each stream in turn (so a search
 * for images and videos gets both early), lazily: the next page is requested only when the
 * consumer asks for a candidate past the current one. A stream ends at its last page or at a
 * page with no id it had not seen; all streams together request at most `ctx.maxPages` pages.
 */
export async function* walkPages(ctx: SourceContext, streams: readonly PageStream[]): AsyncGenerator<MediaCandidate> {
  const seen = new Set<string>();
  const live = [...streams];
  let pages = 0;
  while (live.length > 0 && pages < ctx.maxPages) {
    for (const stream of [...live]) {
      if (pages >= ctx.maxPages) break;
      ctx.signal.throwIfAborted();
      const { entries, hasNext } = await stream.fetchNext();
      pages++;
      ctx.reportPage();
      let fresh = 0;
      for (const entry of entries) {
        if (seen.has(entry.id)) continue;
        seen.add(entry.id);
        fresh++;
        const candidate = isLazy(entry) ? await entry.resolve() : entry;
        if (candidate) yield candidate;
      }
      if (!hasNext || fresh === 0) live.splice(live.indexOf(stream), 1);
    }
  }
}

/** Results to ask for per page: the limit plus slack for failures and duplicates, within the service's bounds. */
export function pageSizeFor(limit: number, min: number, max: number): number {
  const wanted = Math.ceil(Math.max(1, limit) * 1.25) + 2;
  return Math.min(max, Math.max(min, wanted));
}

/** Reads `X-Ratelimit-Remaining` (any case) and reports it, when it is a number. */
export function reportRateLimitHeader(ctx: SourceContext, headers: Record<string, string>): void {
  const raw = headers['x-ratelimit-remaining'];
  if (raw === undefined) return;
  const n = Number(raw.split(',')[0]!.trim());
  if (Number.isFinite(n) && n >= 0) ctx.reportRateLimit(Math.floor(n));
}
