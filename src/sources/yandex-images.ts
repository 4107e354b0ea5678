// Yandex Images. Request: GET /images/search?text=[&p=<page-1>] (SearXNG yandex.py).
// Parse, in either layout Yandex serves:
// - current: an element (div.Root#ImagesApp-…) whose `data-state` attribute is entity-encoded
//   JSON; results are initialState.serpList.items.entities{id → item} with origUrl, origWidth,
//   origHeight, alt, image (protocol-relative thumbnail), snippet{title,url},
//   viewerData{img_href, thumb, dups[{url,w,h,fileSizeInBytes}], preview[…]};
// - older: `data-bem` attributes holding {"serp-item":{img_href, id, snippet, thumb, preview[…]}}.
// Titles carry highlight marks (\u0007[word\u0007]) that are removed. A captcha — the header
// `x-yandex-captcha: captcha`, a redirect to /showcaptcha or /checkcaptcha, or a page holding
// SmartCaptcha's `<form action="/checkcaptcha?…">` (what Yandex really serves, with status 200)
// — is a BlockedError. Recorded answers: fixtures/yandex_images/NOTES.md.
//
// End of results follows the rule of ./parse/result-page.ts: a data-state whose entities map is
// empty. Entities or serp-items none of which carries an image (a web-results page) are a
// ParseError counting them, and so is a first page with neither layout.
import { readHtmlAnswer, type HtmlAnswer } from './parse/answer-body.ts';
import { htmlDocument } from './parse/html-document.ts';
import { BlockedError } from '../core/errors.ts';
import type { MediaCandidate } from '../core/types.ts';
import type { TextResponse } from '../http/types.ts';
import { BROWSER_HEADERS } from './parse/browser-headers.ts';
import { asArray, asPositiveInt, asRecord, dig, type JsonRecord } from './parse/json-shape.ts';
import { httpUrl } from './parse/media-url.ts';
import { safeNativeId, urlHashId } from './parse/native-id.ts';
import { pageStream, walkPages } from './parse/paged-search.ts';
import { htmlToText, MAX_TITLE_CHARS } from './parse/plain-text.ts';
import { dimension } from './parse/size-text.ts';
import { judgeHtmlPage, type PageExpectation, type PageReading } from './parse/result-page.ts';
import type { Source } from './source.ts';

const ID = 'yandex_images';

export interface YandexPage {
  candidates: MediaCandidate[];
  /** What the page held, for the end-of-results rule. */
  reading: PageReading;
}

const EXPECT: PageExpectation = {
  readableAs: 'images (origUrl, img_href, dups or preview with an http(s) url)',
  itemsAre: 'result items (serpList entities, data-bem serp-items)',
  resultsPageHas: 'data-state with initialState.serpList.items.entities and no data-bem serp-item',
};

interface Rendition {
  url: string;
  width?: number;
  height?: number;
  bytes?: number;
}

function renditions(...lists: unknown[]): Rendition[] {
  const out: Rendition[] = [];
  for (const list of lists) {
    for (const item of asArray(list) ?? []) {
      const r = asRecord(item);
      const url = httpUrl(r?.url);
      if (!r || !url) continue;
      const rendition: Rendition = { url };
      const width = dimension(r.w);
      const height = dimension(r.h);
      if (width !== undefined && height !== undefined) {
        rendition.width = width;
        rendition.height = height;
      }
      const bytes = asPositiveInt(r.fileSizeInBytes);
      if (bytes !== undefined) rendition.bytes = bytes;
      out.push(rendition);
    }
  }
  return out;
}

/** The tallest rendition (what SearXNG takes), the first on ties. */
function tallest(list: Rendition[]): Rendition | undefined {
  return list.reduce<Rendition | undefined>(
    (best, r) => (best === undefined || (r.height ?? 0) > (best.height ?? 0) ? r : best),
    undefined,
  );
}

// Yandex wraps matched words in BEL-bracket pairs: "Маленькие \u0007[котики\u0007] фото".
// eslint-disable-next-line no-control-regex
const HIGHLIGHT = /\u0007[[\]]/g;

/** Title text without Yandex's highlight marks, plain and bounded. */
function titleText(value: unknown): string | undefined {
  return htmlToText(typeof value === 'string' ? value.replace(HIGHLIGHT, '') : undefined, MAX_TITLE_CHARS);
}

function build(
  nativeId: string | undefined,
  media: Rendition | undefined,
  fields: { title?: string; pageUrl?: string; thumbnailUrl?: string },
): MediaCandidate | undefined {
  if (!media) return undefined;
  const candidate: MediaCandidate = {
    id: `${ID}:${nativeId ?? urlHashId(media.url)}`,
    source: ID,
    kind: 'image',
    url: media.url,
  };
  if (media.width !== undefined && media.height !== undefined) {
    candidate.width = media.width;
    candidate.height = media.height;
  }
  if (fields.title !== undefined) candidate.title = fields.title;
  if (fields.pageUrl !== undefined) candidate.pageUrl = fields.pageUrl;
  if (fields.thumbnailUrl !== undefined) candidate.thumbnailUrl = fields.thumbnailUrl;
  if (media.bytes !== undefined) candidate.bytes = media.bytes;
  return candidate;
}

/** One entity of initialState.serpList.items.entities. */
function fromEntity(e: JsonRecord): MediaCandidate | undefined {
  const viewer = asRecord(e.viewerData);
  const all = renditions(viewer?.dups, viewer?.preview);
  const origUrl = httpUrl(e.origUrl) ?? httpUrl(viewer?.img_href);
  let media: Rendition | undefined;
  if (origUrl) {
    const same = all.find((r) => r.url === origUrl);
    const width = dimension(e.origWidth) ?? same?.width;
    const height = dimension(e.origHeight) ?? same?.height;
    media = { ...same, url: origUrl, ...(width !== undefined && height !== undefined ? { width, height } : {}) };
  } else {
    media = tallest(all);
  }
  const snippet = asRecord(e.snippet);
  return build(safeNativeId(e.id), media, {
    title: titleText(snippet?.title) ?? titleText(e.alt),
    pageUrl: httpUrl(snippet?.url),
    thumbnailUrl: httpUrl(e.image) ?? httpUrl(dig(viewer, 'thumb', 'url')),
  });
}

/** One `serp-item` of the older data-bem layout. */
function fromSerpItem(item: JsonRecord): MediaCandidate | undefined {
  const all = renditions(item.preview, item.dups);
  const href = httpUrl(item.img_href);
  const media = href ? { ...all.find((r) => r.url === href), url: href } : tallest(all);
  const snippet = asRecord(item.snippet);
  return build(safeNativeId(item.id) ?? safeNativeId(item.rimId), media, {
    title: titleText(snippet?.title),
    pageUrl: httpUrl(snippet?.url),
    thumbnailUrl: httpUrl(dig(item, 'thumb', 'url')),
  });
}

function parseAttr(raw: string | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** Candidates of one /images/search page, in either layout. */
export function parseYandexPage(html: HtmlAnswer): YandexPage {
  const $ = htmlDocument(html);
  const candidates: MediaCandidate[] = [];
  let containers = 0;
  let items = 0;
  $('[data-state]').each((_, el) => {
    const entities = asRecord(
      dig(parseAttr($(el).attr('data-state')), 'initialState', 'serpList', 'items', 'entities'),
    );
    if (!entities) return;
    containers++;
    for (const value of Object.values(entities)) {
      items++;
      const entity = asRecord(value);
      const candidate = entity ? fromEntity(entity) : undefined;
      if (candidate) candidates.push(candidate);
    }
  });
  // Both layouts are read wherever they stand: a page mixing them counts every readable card.
  $('[data-bem]').each((_, el) => {
    const item = asRecord(asRecord(parseAttr($(el).attr('data-bem')))?.['serp-item']);
    if (!item) return;
    items++;
    const candidate = fromSerpItem(item);
    if (candidate) candidates.push(candidate);
  });
  return { candidates, reading: { readable: candidates.length, items, containers, saysNothingFound: false } };
}

/** Throws BlockedError when the answer is Yandex's captcha or a refusal. */
export function checkYandexBlock(res: Pick<TextResponse, 'status' | 'url' | 'headers'>): void {
  if ((res.headers['x-yandex-captcha'] ?? '').toLowerCase().includes('captcha')) {
    throw new BlockedError(ID, 'captcha (x-yandex-captcha: captcha)');
  }
  let path = '';
  try {
    path = new URL(res.url).pathname;
  } catch {}
  const captchaPath = /\/(?:show|check)captcha\w*/.exec(path)?.[0];
  if (captchaPath) throw new BlockedError(ID, `redirected to ${captchaPath} (captcha)`);
  if (res.status === 403 || res.status === 429) throw new BlockedError(ID, `HTTP ${res.status}`);
}

// SmartCaptcha's form posts to /checkcaptcha?key=…; older pages link /showcaptcha.
const CAPTCHA_FORM = /<form\b[^>]*\baction\s*=\s*["']?[^"'>]*\/(checkcaptcha|showcaptcha)\w*/i;

/** Throws BlockedError when the page itself is Yandex's captcha, whatever status it came with. */
export function checkYandexCaptchaPage(html: string): void {
  const form = CAPTCHA_FORM.exec(html);
  if (form) throw new BlockedError(ID, `a /${form[1]!.toLowerCase()} captcha form`);
}

/** 'results' or 'end' for one page, by the rule every source shares; ParseError otherwise. */
export function judgeYandexPage(page: YandexPage, body: string, first: boolean): 'results' | 'end' {
  return judgeHtmlPage(ID, page.reading, EXPECT, { first, body });
}

export const source: Source = {
  id: ID,
  displayName: 'Yandex Images',
  kinds: ['image'],
  example: 'winter forest',
  defaultOrigin: () => 'https://yandex.com',
  configured: () => ({ ok: true }),
  async *search(query, ctx) {
    if (query.type === 'video') return;
    const pages = pageStream(0, async (p) => {
      const params = new URLSearchParams({ text: query.text });
      if (p > 0) params.set('p', String(p));
      const res = await ctx.http.getText(`${ctx.origin}/images/search?${params}`, {
        headers: BROWSER_HEADERS,
        acceptStatus: (s) => (s >= 200 && s <= 299) || s === 403 || s === 429,
      });
      checkYandexBlock(res);
      checkYandexCaptchaPage(res.text);
      const page = parseYandexPage(await readHtmlAnswer(ID, res.text, ctx.signal));
      if (judgeYandexPage(page, res.text, p === 0) === 'end') return { entries: [], next: null };
      return { entries: page.candidates, next: p + 1 };
    });
    yield* walkPages(ctx, [pages]);
  },
};
