// Bing Images. Request: GET /images/async?q=&async=1&first=&count= — the HTML
// fragment Bing's own page loads while scrolling (SearXNG bing_images.py, ddgs bing_images.py).
// Parse: every result card is an `a.iusc` whose `m` attribute is entity-encoded JSON with murl
// (the image), turl (thumbnail), purl (page), t (title), desc, mid (id). The HTML parser decodes
// the entities once; the value is then plain JSON. Bing puts no size in `m`: it is in the card's
// `href` (expw/exph) or its `span.nowrap` text, "1920×1080 · jpeg" now, "3442 x 2972 · png" in
// older pages. See fixtures/bing_images/NOTES.md for the recorded pages.
//
// End of results follows the rule of ./parse/result-page.ts: an empty result container
// (`.dgControl`, `ul.dgControl_list` without items), a later page that is an empty body, or a
// page of cards already seen (Bing repeats its last results). List items inside the container
// that carry no readable `a.iusc[m]` card are a ParseError naming how many there were, and so
// is a first page with neither cards nor the container.
import { readHtmlAnswer, type HtmlAnswer } from './parse/answer-body.ts';
import { htmlDocument } from './parse/html-document.ts';
import { BlockedError, ParseError } from '../core/errors.ts';
import type { TextResponse } from '../http/types.ts';
import type { MediaCandidate } from '../core/types.ts';
import { asRecord } from './parse/json-shape.ts';
import { httpUrl } from './parse/media-url.ts';
import { urlHashId, safeNativeId } from './parse/native-id.ts';
import { pageSizeFor, pageStream, walkPages } from './parse/paged-search.ts';
import { htmlToText, MAX_TITLE_CHARS } from './parse/plain-text.ts';
import { dimension, parseSizeText } from './parse/size-text.ts';
import { judgeHtmlPage, type PageExpectation, type PageReading } from './parse/result-page.ts';
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
  /** What the page held, for the end-of-results rule. */
  reading: PageReading;
}

const EXPECT: PageExpectation = {
  readableAs: 'a.iusc[m] cards with JSON holding an http(s) murl',
  itemsAre: 'result items (a.iusc[m] cards, ul.dgControl_list > li)',
  resultsPageHas: 'a.iusc[m] card and no .dgControl / ul.dgControl_list result container',
};

const FORMAT_MIME: Record<string, string> = {
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
};

/** Candidates of one /images/async answer, with what the page held (see judgeBingPage). */
export function parseBingPage(html: HtmlAnswer): BingPage {
  const $ = htmlDocument(html);
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
    throw new ParseError(
      ID,
      notJson === cards
        ? `${cards} a.iusc[m] cards, none with JSON in m`
        : `${cards} a.iusc[m] cards, none with an http(s) murl`,
    );
  }
  const containers = $('.dgControl, ul.dgControl_list');
  const listItems = containers
    .find('li')
    .filter((_, el) => $(el).children().length > 0 || $(el).text().trim() !== '').length;
  const reading: PageReading = {
    readable: candidates.length,
    items: Math.max(cards, listItems),
    containers: containers.length,
    saysNothingFound: false,
  };
  return { candidates, cards, reading };
}

/** 'results' or 'end' for one answer, by the rule every source shares; ParseError otherwise. */
export function judgeBingPage(page: BingPage, body: string, first: boolean): 'results' | 'end' {
  return judgeHtmlPage(ID, page.reading, EXPECT, { first, body });
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

/**
 * Throws BlockedError when Bing refused the request: 403/429, or its challenge (Bing sends
 * suspected bots to /turing/captcha/challenge, by redirect or as a short page pointing there).
 */
export function checkBingBlock(res: Pick<TextResponse, 'status' | 'url' | 'text'>): void {
  let path = '';
  try {
    path = new URL(res.url).pathname;
  } catch {}
  if (path.startsWith('/turing/captcha')) throw new BlockedError(ID, `redirected to ${path} (captcha)`);
  if (res.status === 429) throw new BlockedError(ID, 'HTTP 429 (too many requests)');
  if (res.status === 403) throw new BlockedError(ID, 'HTTP 403 (refused)');
  if (res.text.length < 20_000 && res.text.includes('/turing/captcha/'))
    throw new BlockedError(ID, 'a /turing/captcha/ challenge page');
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
      const res = await ctx.http.getText(`${ctx.origin}/images/async?${params}`, {
        headers: BROWSER_HEADERS,
        acceptStatus: (s) => (s >= 200 && s <= 299) || s === 403 || s === 429,
      });
      checkBingBlock(res);
      const page = parseBingPage(await readHtmlAnswer(ID, res.text, ctx.signal));
      if (judgeBingPage(page, res.text, pageNumber === 1) === 'end') return { entries: [], next: null };
      // Bing may answer more cards than `count` asked for; the next page starts after what it gave.
      const next = { first: first + Math.max(count, page.cards), pageNumber: pageNumber + 1 };
      return { entries: page.candidates, next };
    });
    yield* walkPages(ctx, [pages]);
  },
};
