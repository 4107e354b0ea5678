// Google Images. Request, as SearXNG does today (google.py, google_images.py, Aug
// 2026): GET /wml/search?q=&tbm=isch&hl=&ie=utf8&oe=utf8[&start=(page-1)*10] with an old Nokia
// feature-phone User-Agent and the CONSENT cookie, which gets the light WML/XHTML layout instead
// of the JavaScript application. Parse, in either layout Google may answer:
// - `a[href*="/imgres?"]` links (the WML page): their query holds imgurl (the image), imgrefurl
//   (its page), w, h, tbnid (and docid);
// - `AF_initDataCallback(…)` scripts (the desktop page): pairs of arrays [thumbUrl,h,w],
//   [fullUrl,h,w] — height before width — followed by {"2003":[null,docid,pageUrl,title,…]};
//   strings carry \u003d/\u0026 escapes, sometimes escaped twice, so they are decoded twice.
// A block is a redirect to /sorry (or sorry.google.com), a 429/403, or a short page linking to
// /sorry/: BlockedError. Only fragments of real answers exist (fixtures/google_images/NOTES.md).
//
// End of results follows the rule of ./parse/result-page.ts: a page saying the search "did not
// match any" results (Google's own marker). /imgres links none of which carries an imgurl, and
// a page with neither links, arrays nor that sentence, are ParseErrors saying what came.
import { readHtmlAnswer, type HtmlAnswer } from './parse/answer-body.ts';
import { htmlDocument } from './parse/html-document.ts';
import { BlockedError } from '../core/errors.ts';
import type { MediaCandidate } from '../core/types.ts';
import type { TextResponse } from '../http/types.ts';
import { decodeJsEscapes } from './parse/js-escapes.ts';
import { httpUrl } from './parse/media-url.ts';
import { safeNativeId, urlHashId } from './parse/native-id.ts';
import { pageStream, walkPages } from './parse/paged-search.ts';
import { htmlToText, MAX_TITLE_CHARS } from './parse/plain-text.ts';
import { dimension } from './parse/size-text.ts';
import { judgeHtmlPage, type PageExpectation, type PageReading } from './parse/result-page.ts';
import type { Source } from './source.ts';

const ID = 'google_images';
/** Results per WML page: SearXNG pages by start=(page-1)*10. */
export const GOOGLE_PAGE_SIZE = 10;
const HREF_BASE = 'https://www.google.com';
// SearXNG sends one of a few Nokia Series 40/60 User-Agents (searxng/searxng#6359).
const FEATURE_PHONE_UA = 'Nokia6230i/2.0 (03.80) Profile/MIDP-2.0 Configuration/CLDC-1.1';
const REQUEST_HEADERS = {
  'user-agent': FEATURE_PHONE_UA,
  accept: '*/*',
  'accept-language': 'en-US,en;q=0.5',
  cookie: 'CONSENT=YES+',
};

export interface GooglePage {
  candidates: MediaCandidate[];
  /** What the page held, for the end-of-results rule. */
  reading: PageReading;
}

const EXPECT: PageExpectation = {
  readableAs: 'links with an http(s) imgurl',
  itemsAre: 'result items (a[href*="/imgres?"] links)',
  resultsPageHas:
    'a[href*="/imgres?"] links, no AF_initDataCallback [url,height,width] arrays and no "did not match any" sentence',
};

const STRING = String.raw`"((?:[^"\\]|\\.){1,4000})"`;
// [thumbUrl,height,width],[fullUrl,height,width] as they appear in AF_initDataCallback data.
const ARRAY_PAIR = new RegExp(String.raw`\[${STRING},(\d{1,6}),(\d{1,6})\],\[${STRING},(\d{1,6}),(\d{1,6})\]`, 'g');
const META_2003 = new RegExp(String.raw`"2003":\[null,${STRING},${STRING},${STRING}`);
const NO_RESULTS = /did not match any (?:image results|documents)/i;

/** The WML answer's `<?xml …?>` prolog, which an HTML parser would read as text, removed. */
function withoutXmlProlog(html: string): string {
  return html.replace(/^\s*<\?xml[^>]*\?>/, '');
}

/** Candidates of one answer, in either layout, with what the page held (see judgeGooglePage). */
export function parseGooglePage(html: HtmlAnswer): GooglePage {
  const $ = htmlDocument(typeof html === 'string' ? withoutXmlProlog(html) : html);
  const candidates: MediaCandidate[] = [];
  const links = $('a[href*="/imgres?"]');
  links.each((_, el) => {
    const link = $(el);
    let params: URLSearchParams;
    try {
      params = new URL(link.attr('href') ?? '', HREF_BASE).searchParams;
    } catch {
      return;
    }
    const url = httpUrl(params.get('imgurl'));
    if (!url) return;
    const tbnid = safeNativeId(params.get('tbnid'));
    const candidate: MediaCandidate = {
      id: `${ID}:${tbnid ?? safeNativeId(params.get('docid')) ?? urlHashId(url)}`,
      source: ID,
      kind: 'image',
      url,
    };
    const width = dimension(params.get('w'));
    const height = dimension(params.get('h'));
    if (width !== undefined && height !== undefined) {
      candidate.width = width;
      candidate.height = height;
    }
    const pageUrl = httpUrl(params.get('imgrefurl'));
    const img = link.find('img').first();
    const title =
      htmlToText(link.text(), MAX_TITLE_CHARS) ??
      htmlToText(img.attr('alt'), MAX_TITLE_CHARS) ??
      fileNameOf(url) ??
      hostOf(pageUrl);
    if (title !== undefined) candidate.title = title;
    if (pageUrl !== undefined) candidate.pageUrl = pageUrl;
    const thumbnailUrl =
      httpUrl(img.attr('src'), HREF_BASE) ??
      (tbnid ? `https://encrypted-tbn0.gstatic.com/images?q=tbn:${tbnid}` : undefined);
    if (thumbnailUrl !== undefined) candidate.thumbnailUrl = thumbnailUrl;
    candidates.push(candidate);
  });
  const linkCandidates = candidates.length;
  const scripts = $('script')
    .toArray()
    .map((el) => $(el).text())
    .filter((s) => s.includes('AF_initDataCallback'));
  for (const script of scripts) candidates.push(...parseInitData(script));

  const reading: PageReading = {
    readable: candidates.length,
    // Unreadable /imgres links only count when nothing else on the page could be read.
    items: Math.max(links.length, linkCandidates),
    containers: 0,
    saysNothingFound: NO_RESULTS.test($('body').text()),
  };
  return { candidates, reading };
}

/** 'results' or 'end' for one page, by the rule every source shares; ParseError otherwise. */
export function judgeGooglePage(page: GooglePage, body: string, first: boolean): 'results' | 'end' {
  return judgeHtmlPage(ID, page.reading, EXPECT, { first, body });
}

/** Candidates from one AF_initDataCallback script: each [thumb,h,w],[full,h,w] pair and its "2003" metadata. */
export function parseInitData(script: string): MediaCandidate[] {
  const out: MediaCandidate[] = [];
  const matches = [...script.matchAll(ARRAY_PAIR)];
  matches.forEach((m, i) => {
    const url = httpUrl(decodeJsEscapes(m[4]!));
    if (!url) return;
    // The item's metadata follows its arrays, before the next item's.
    const end = matches[i + 1]?.index ?? Math.min(script.length, m.index! + m[0].length + 20_000);
    const meta = META_2003.exec(script.slice(m.index! + m[0].length, end));
    const docid = meta ? safeNativeId(decodeJsEscapes(meta[1]!)) : undefined;
    const candidate: MediaCandidate = { id: `${ID}:${docid ?? urlHashId(url)}`, source: ID, kind: 'image', url };
    const height = dimension(Number(m[5]));
    const width = dimension(Number(m[6]));
    if (width !== undefined && height !== undefined) {
      candidate.width = width;
      candidate.height = height;
    }
    const pageUrl = meta ? httpUrl(decodeJsEscapes(meta[2]!)) : undefined;
    const title = (meta ? htmlToText(decodeJsEscapes(meta[3]!), MAX_TITLE_CHARS) : undefined) ?? fileNameOf(url);
    if (title !== undefined) candidate.title = title;
    if (pageUrl !== undefined) candidate.pageUrl = pageUrl;
    const thumbnailUrl = httpUrl(decodeJsEscapes(m[1]!));
    if (thumbnailUrl !== undefined) candidate.thumbnailUrl = thumbnailUrl;
    out.push(candidate);
  });
  return out;
}

function fileNameOf(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split('/').pop() ?? '';
    return htmlToText(decodeURIComponent(last), MAX_TITLE_CHARS);
  } catch {
    return undefined;
  }
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/** Throws BlockedError when the answer is Google's /sorry captcha or a refusal. */
export function checkGoogleBlock(res: Pick<TextResponse, 'status' | 'url' | 'text'>): void {
  let host = '';
  let path = '';
  try {
    const u = new URL(res.url);
    host = u.hostname;
    path = u.pathname;
  } catch {}
  if (host === 'sorry.google.com' || path.startsWith('/sorry'))
    throw new BlockedError(ID, 'redirected to /sorry (captcha)');
  if (res.status === 429) throw new BlockedError(ID, 'HTTP 429 (too many requests)');
  if (res.status === 403) throw new BlockedError(ID, 'HTTP 403 (refused)');
  if (res.text.length < 2000 && res.text.includes('/sorry/')) throw new BlockedError(ID, 'a /sorry/ page (captcha)');
}

export const source: Source = {
  id: ID,
  displayName: 'Google Images',
  kinds: ['image'],
  example: 'lighthouse',
  defaultOrigin: () => 'https://www.google.com',
  configured: () => ({ ok: true }),
  async *search(query, ctx) {
    if (query.type === 'video') return;
    const pages = pageStream(0, async (start) => {
      const params = new URLSearchParams({ q: query.text, tbm: 'isch', hl: 'en', ie: 'utf8', oe: 'utf8' });
      if (start > 0) params.set('start', String(start));
      const res = await ctx.http.getText(`${ctx.origin}/wml/search?${params}`, {
        headers: REQUEST_HEADERS,
        acceptStatus: (s) => (s >= 200 && s <= 299) || s === 403 || s === 429,
      });
      checkGoogleBlock(res);
      const page = parseGooglePage(await readHtmlAnswer(ID, withoutXmlProlog(res.text), ctx.signal));
      if (judgeGooglePage(page, res.text, start === 0) === 'end') return { entries: [], next: null };
      return { entries: page.candidates, next: start + GOOGLE_PAGE_SIZE };
    });
    yield* walkPages(ctx, [pages]);
  },
};
