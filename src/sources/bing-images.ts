// Bing Images (DESIGN §2). Request: GET /images/async?q=&async=1&first=&count= — the HTML
// fragment Bing's own page loads while scrolling (SearXNG bing_images.py, ddgs bing_images.py).
// Parse: every result card is an `a.iusc` whose `m` attribute is entity-encoded JSON with murl
// (the image), turl (thumbnail), purl (page), t (title), desc, mid (id). The HTML parser decodes
// the entities once; the value is then plain JSON. Bing puts no size in `m`: it is in the card's
// `href` (expw/exph) or its `span.nowrap` text, "1920×1080 · jpeg" now, "3442 x 2972 · png" in
// older pages. See fixtures/bing_images/NOTES.md for the recorded pages.
//
// End of results: a fragment with the result container (`.dgControl`, `ul.dgControl_list`) and
// no card, or — after page 1 proved the layout — any later answer without cards (past the end
// Bing answers an empty body), or a page of cards already seen (Bing repeats its last results).
// A first page with neither cards nor the container is a ParseError: the layout changed.
import { loadHtml } from './parse/html-document.ts';
import { ParseError } from '../core/errors.ts';
import type { MediaCandidate } from '../core/types.ts';
import { asRecord } from './parse/json-shape.ts';
import { httpUrl } from './parse/media-url.ts';
import { urlHashId, safeNativeId } from './parse/native-id.ts';
import { pageSizeFor, pageStream, walkPages } from './parse/paged-search.ts';
import { htmlToText, MAX_TITLE_CHARS } from './parse/plain-text.ts';
import { dimension, parseSizeText } from './parse/size-text.ts';
import { BROWSER_HEADERS } from './parse/browser-headers.ts';
import type { Source } from './source.ts';

const ID = 'bing_images';
/** Bing's own page size for /images/async (SearXNG and ddgs page by 35). */
export const BING_MAX_PER_PAGE = 35;
// Relative hrefs in the fragment (/images/search?…) are read against Bing's origin.
const HREF_BASE = 'https://www.bing.com';

export interface BingPage {
  candidates: MediaCandidate[];
  /** `a.iusc[m]` cards on the page, usable or not. */
  cards: number;
  /** Whether the page is a recognisable result fragment (cards or the result container). */
  recognised: boolean;
}

const FORMAT_MIME: Record<string, string> = {
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
};

/**
 * Candidates of one /images/async answer. Throws ParseError when cards exist but none is
 * usable (their `m` is not JSON or has no http(s) murl); an answer without any card is
 * returned with `recognised` telling whether it is still Bing's result fragment.
 */
export function parseBingPage(html: string): BingPage {
  const $ = loadHtml(html);
  const candidates: MediaCandidate[] = [];
  let cards = 0;
  let notJson = 0;
  $('a.iusc[m]').each((_, el) => {
    cards++;
    const card = $(el);
    let m: Record<string, unknown> | undefined;
    try {
      m = asRecord(JSON.parse(card.attr('m') ?? ''));
    } catch {
      m = undefined;
    }
    if (!m) {
      notJson++;
      return;
    }
    const url = httpUrl(m.murl);
    if (!url) return;
    const box = card.closest('li, .iuscp, .imgpt');
    const sizeText = parseSizeText(box.find('span.nowrap').first().text());
    const size = sizeFromHref(card.attr('href')) ?? sizeText;
    const title =
      htmlToText(typeof m.t === 'string' ? m.t.replace(/[\ue000\ue001]/g, '') : undefined, MAX_TITLE_CHARS) ??
      htmlToText(box.find('.infnmpt').first().text(), MAX_TITLE_CHARS) ??
      htmlToText(m.desc, MAX_TITLE_CHARS);
    const thumbnailUrl = httpUrl(m.turl) ?? httpUrl(card.find('img').first().attr('src'));
    const pageUrl = httpUrl(m.purl);
    const nativeId = safeNativeId(m.mid) ?? safeNativeId(m.md5) ?? urlHashId(url);
    const mime = sizeText?.format !== undefined ? FORMAT_MIME[sizeText.format] : undefined;
    const candidate: MediaCandidate = { id: `${ID}:${nativeId}`, source: ID, kind: 'image', url };
    if (size) {
      candidate.width = size.width;
      candidate.height = size.height;
    }
    if (title !== undefined) candidate.title = title;
    if (pageUrl !== undefined) candidate.pageUrl = pageUrl;
    if (thumbnailUrl !== undefined) candidate.thumbnailUrl = thumbnailUrl;
    if (mime !== undefined) candidate.mime = mime;
    candidates.push(candidate);
  });
  if (cards > 0 && candidates.length === 0) {
    throw new ParseError(ID, notJson === cards ? 'a.iusc[m] is not JSON' : 'a.iusc[m] cards carry no http(s) murl');
  }
  const recognised = cards > 0 || $('.dgControl, ul.dgControl_list').length > 0;
  return { candidates, cards, recognised };
}

function sizeFromHref(href: string | undefined): { width: number; height: number } | undefined {
  if (!href) return undefined;
  try {
    const q = new URL(href, HREF_BASE).searchParams;
    const width = dimension(q.get('expw'));
    const height = dimension(q.get('exph'));
    return width !== undefined && height !== undefined ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

export const source: Source = {
  id: ID,
  displayName: 'Bing Images',
  kinds: ['image'],
  example: 'northern lights',
  defaultOrigin: () => 'https://www.bing.com',
  configured: () => ({ ok: true }),
  async *search(query, ctx) {
    if (query.type === 'video') return;
    const count = pageSizeFor(query.limit, 1, BING_MAX_PER_PAGE);
    const pages = pageStream({ first: 1, pageNumber: 1 }, async ({ first, pageNumber }) => {
      const params = new URLSearchParams({ q: query.text, async: '1', first: String(first), count: String(count) });
      const res = await ctx.http.getText(`${ctx.origin}/images/async?${params}`, { headers: BROWSER_HEADERS });
      const page = parseBingPage(res.text);
      if (!page.recognised && pageNumber === 1) {
        throw new ParseError(ID, res.text.trim() === '' ? 'empty answer, no a.iusc[m] cards' : 'no a.iusc[m] cards');
      }
      // Bing may answer more cards than `count` asked for; the next page starts after what it gave.
      const next = page.cards > 0 ? { first: first + Math.max(count, page.cards), pageNumber: pageNumber + 1 } : null;
      return { entries: page.candidates, next };
    });
    yield* walkPages(ctx, [pages]);
  },
};
