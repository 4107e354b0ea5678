// DuckDuckGo Images, in two steps like ddgs and SearXNG: (1) GET /?q=&iar=images,
// whose HTML carries a per-query token `vqd` — written vqd="4-…" on current pages, vqd='3-…' on
// older ones, and vqd=…& inside script URLs; (2) GET /i.js?o=json&q=&l=&vqd=&p=&f=[&s=] with a
// Referer, a JSON answer {results:[{image,thumbnail,title,url,width,height,source}], next}.
// `next` ("i.js?…&s=100…") tells the offset of the following page; results carry no id, so a
// hash of the image URL is the native id. A 403 means the token was refused or we are blocked.
//
// End of results: an answer whose `results` is an empty array (recorded: fixtures'
// i.js-no-results.real.json, which still carries a `next`), an answer without `next`, or a page
// adding nothing new. An answer without a `results` array is a ParseError.
import { BlockedError, ParseError } from '../core/errors.ts';
import type { MediaCandidate } from '../core/types.ts';
import { readJsonAnswer, type JsonAnswer } from './parse/answer-body.ts';
import { BROWSER_HEADERS } from './parse/browser-headers.ts';
import { asRecord, asString, parseJsonBody } from './parse/json-shape.ts';
import { resultListOf } from './parse/result-page.ts';
import { httpUrl } from './parse/media-url.ts';
import { urlHashId } from './parse/native-id.ts';
import { pageStream, walkPages } from './parse/paged-search.ts';
import { htmlToText, MAX_TITLE_CHARS } from './parse/plain-text.ts';
import { dimension } from './parse/size-text.ts';
import type { Source } from './source.ts';

const ID = 'duckduckgo_images';
/** Region sent as `l` (ddgs and duck-duck-scrape default). */
const REGION = 'us-en';

// The three spellings of the token, in the order they appear on pages; the token itself is
// digits, letters and dashes ("3-1261…-1998…", "4-3345…").
const VQD = /vqd=(?:"([\w-]{1,300})"|'([\w-]{1,300})'|([\w-]{1,300})&)/;

/** The `vqd` token of DuckDuckGo's search page, in any of its spellings, or undefined. */
export function extractVqd(html: string): string | undefined {
  const m = VQD.exec(html);
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

export interface DdgPage {
  candidates: MediaCandidate[];
  /** The `s` offset of the next page (from `next`), or undefined when there is none. */
  nextOffset: number | undefined;
}

/** Candidates of one /i.js answer. Throws ParseError when it is not JSON or has no `results` array. */
export function parseDdgImages(text: JsonAnswer): DdgPage {
  const data = asRecord(parseJsonBody(ID, text, 'the /i.js answer'));
  const results = resultListOf(ID, data, ['results']);
  const candidates: MediaCandidate[] = [];
  for (const item of results) {
    const r = asRecord(item);
    const url = httpUrl(r?.image);
    if (!r || !url) continue;
    const candidate: MediaCandidate = { id: `${ID}:${urlHashId(url)}`, source: ID, kind: 'image', url };
    const width = dimension(r.width);
    const height = dimension(r.height);
    if (width !== undefined && height !== undefined) {
      candidate.width = width;
      candidate.height = height;
    }
    const title = htmlToText(r.title, MAX_TITLE_CHARS);
    if (title !== undefined) candidate.title = title;
    const pageUrl = httpUrl(r.url);
    if (pageUrl !== undefined) candidate.pageUrl = pageUrl;
    const thumbnailUrl = httpUrl(r.thumbnail);
    if (thumbnailUrl !== undefined) candidate.thumbnailUrl = thumbnailUrl;
    candidates.push(candidate);
  }
  if (results.length > 0 && candidates.length === 0) {
    throw new ParseError(ID, `${results.length} results, none readable as an item with an http(s) image`);
  }
  return { candidates, nextOffset: offsetOf(asString(data?.next)) };
}

function offsetOf(next: string | undefined): number | undefined {
  if (next === undefined) return undefined;
  try {
    const s = new URL(next, 'https://duckduckgo.com/').searchParams.get('s');
    const n = s !== null && /^\d{1,9}$/.test(s) ? Number(s) : undefined;
    return n;
  } catch {
    return undefined;
  }
}

const okOr403 = (status: number): boolean => (status >= 200 && status <= 299) || status === 403;

export const source: Source = {
  id: ID,
  displayName: 'DuckDuckGo Images',
  kinds: ['image'],
  example: 'red panda',
  defaultOrigin: () => 'https://duckduckgo.com',
  configured: () => ({ ok: true }),
  async *search(query, ctx) {
    if (query.type === 'video') return;
    ctx.signal.throwIfAborted();
    const tokenParams = new URLSearchParams({ q: query.text, iar: 'images', iax: 'images', ia: 'images' });
    const tokenPage = await ctx.http.getText(`${ctx.origin}/?${tokenParams}`, {
      headers: BROWSER_HEADERS,
      acceptStatus: okOr403,
    });
    if (tokenPage.status === 403) throw new BlockedError(ID, 'HTTP 403 on the search page');
    const vqd = extractVqd(tokenPage.text);
    if (vqd === undefined) throw new ParseError(ID, 'no vqd token on the search page');

    const headers = {
      ...BROWSER_HEADERS,
      accept: 'application/json, text/javascript, */*; q=0.01',
      referer: `${ctx.origin}/`,
    };
    const pages = pageStream(0, async (offset) => {
      const params = new URLSearchParams({ o: 'json', q: query.text, l: REGION, vqd, p: '1', f: ',,,,,' });
      if (offset > 0) params.set('s', String(offset));
      const res = await ctx.http.getText(`${ctx.origin}/i.js?${params}`, { headers, acceptStatus: okOr403 });
      if (res.status === 403) throw new BlockedError(ID, 'HTTP 403 on /i.js (vqd token refused or client blocked)');
      const page = parseDdgImages(await readJsonAnswer(ID, res.text, ctx.signal, 'the /i.js answer'));
      const next = page.nextOffset !== undefined && page.nextOffset > offset ? page.nextOffset : null;
      return { entries: page.candidates, next };
    });
    yield* walkPages(ctx, [pages]);
  },
};
