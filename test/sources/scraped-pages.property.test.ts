// Property tests of the parsers of the scraped sources (Google, Bing, DuckDuckGo and Yandex
// result pages, Unsplash's keyless JSON): whatever a service sends — arbitrary text, or a real
// page truncated, cut, sprinkled with entity and escape noise, stripped of attributes, or JSON
// with values swapped — a parser returns well-formed candidates or throws ParseError or
// BlockedError; nothing else (no TypeError), and paging always ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import type { MediaCandidate } from '../../src/core/types.ts';
import { readFixture } from '../../src/demo/sim-server.ts';
import { parseBingPage, source as bing } from '../../src/sources/bing-images.ts';
import { extractVqd, parseDdgImages, source as ddg } from '../../src/sources/duckduckgo-images.ts';
import { parseGooglePage, parseInitData, source as google } from '../../src/sources/google-images.ts';
import { parseUnsplashPage, source as unsplash } from '../../src/sources/unsplash.ts';
import { parseYandexPage, source as yandex } from '../../src/sources/yandex-images.ts';
import type { Source } from '../../src/sources/source.ts';
import { collect, fakeServer, makeContext } from './source-harness.ts';

type Parser = (text: string) => MediaCandidate[];

const PARSERS: Record<string, { source: string; parse: Parser; pages: string[] }> = {
  bing: {
    source: 'bing_images',
    parse: (t) => parseBingPage(t).candidates,
    pages: ['bing_images/async-sample.html', 'bing_images/page-1.assembled.html', 'bing_images/page-2.assembled.html'],
  },
  google: {
    source: 'google_images',
    parse: (t) => parseGooglePage(t).candidates,
    pages: ['google_images/wml-page-1.assembled.html', 'google_images/desktop-af-initdata.assembled.html'],
  },
  googleInitData: {
    source: 'google_images',
    parse: parseInitData,
    pages: ['google_images/af-initdata-fragment.real.txt'],
  },
  yandex: {
    source: 'yandex_images',
    parse: (t) => parseYandexPage(t).candidates,
    pages: ['yandex_images/data-state-page-1.assembled.html', 'yandex_images/data-bem-page.assembled.html'],
  },
  ddg: {
    source: 'duckduckgo_images',
    parse: (t) => parseDdgImages(t).candidates,
    pages: ['duckduckgo_images/i.js-images.json'],
  },
  unsplashKeyed: {
    source: 'unsplash',
    parse: (t) => parseUnsplashPage(t, true).candidates,
    pages: ['unsplash/search-photos.json'],
  },
  unsplashKeyless: {
    source: 'unsplash',
    parse: (t) => parseUnsplashPage(t, false).candidates,
    pages: ['unsplash/search-photos.json'],
  },
};

/** Runs `parse`; fails on any error but ParseError/BlockedError naming the source, and checks every candidate's shape. */
function checkParse(name: string, parse: Parser, sourceId: string, text: string): void {
  let candidates: MediaCandidate[];
  try {
    candidates = parse(text);
  } catch (error) {
    if (error instanceof ParseError || error instanceof BlockedError) {
      assert.ok(error.message.startsWith(`${sourceId}: `), error.message);
      return;
    }
    throw new Error(`${name} threw ${String(error)}`, { cause: error });
  }
  assert.ok(Array.isArray(candidates));
  for (const c of candidates) {
    assert.ok(c.id.startsWith(`${sourceId}:`) && c.id.length > sourceId.length + 1, c.id);
    assert.equal(c.source, sourceId);
    assert.equal(c.kind, 'image');
    for (const url of [c.url, c.thumbnailUrl, c.pageUrl]) {
      if (url === undefined) continue;
      assert.match(new URL(url).protocol, /^https?:$/);
    }
    for (const n of [c.width, c.height, c.bytes])
      if (n !== undefined) assert.ok(Number.isSafeInteger(n) && n > 0, String(n));
    assert.equal(c.width === undefined, c.height === undefined);
    if (c.title !== undefined) {
      assert.ok(c.title.length > 0 && c.title.length <= 300, c.title);
      // eslint-disable-next-line no-control-regex -- the property is that no control character survives
      assert.ok(!/[\u0000-\u001f\u007f]/.test(c.title), JSON.stringify(c.title));
      assert.equal(c.title, c.title.trim());
    }
  }
}

const NOISE = fc.oneof(
  fc.constantFrom(
    '&amp;',
    '&quot;',
    '&#183;',
    '&#x27;',
    '&#0;',
    '&',
    '"',
    "'",
    '<',
    '>',
    '\\u0026',
    '\\u003d',
    '\\',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    'null',
    '<script>',
    '</a>',
    '\u0000',
    '\u0007[',
    '\ue000',
    '//',
    'javascript:',
  ),
  fc.string({ maxLength: 12 }),
);

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'dropAttribute'; which: number };

const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: NOISE }),
  fc.record({ kind: fc.constant('dropAttribute' as const), which: fc.nat() }),
);

function mutate(base: string, mutations: Mutation[]): string {
  let text = base;
  for (const m of mutations) {
    const at = text.length === 0 ? 0 : ('at' in m ? m.at : 0) % (text.length + 1);
    if (m.kind === 'truncate') text = text.slice(0, at);
    else if (m.kind === 'delete') text = text.slice(0, at) + text.slice(at + m.length);
    else if (m.kind === 'insert') text = text.slice(0, at) + m.text + text.slice(at);
    else {
      const attributes = [...text.matchAll(/\s[\w-]+=(?:"[^"]*"|'[^']*')/g)];
      const hit = attributes.length > 0 ? attributes[m.which % attributes.length] : undefined;
      if (hit) text = text.slice(0, hit.index) + text.slice(hit.index! + hit[0].length);
    }
  }
  return text;
}

/** Every path to a value in a JSON document. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function swapped(doc: unknown, at: number, replacement: unknown): unknown {
  const copy = structuredClone(doc);
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[at % all.length]!;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = replacement;
  return copy;
}

for (const [name, { source, parse }] of Object.entries(PARSERS)) {
  test(`${name}: arbitrary text gives candidates or a ParseError/BlockedError, nothing else`, () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }), fc.json()),
        (text) => {
          checkParse(name, parse, source, text);
        },
      ),
      { numRuns: 150 },
    );
  });
}

for (const [name, { source, parse, pages }] of Object.entries(PARSERS)) {
  test(`${name}: mutated real pages (truncated, cut, entity noise, attributes dropped) never break the parser`, () => {
    const bases = pages.map((p) => readFixture(p));
    fc.assert(
      fc.property(fc.nat(), fc.array(MUTATION, { minLength: 1, maxLength: 6 }), (which, mutations) => {
        checkParse(name, parse, source, mutate(bases[which % bases.length]!, mutations));
      }),
      { numRuns: 150 },
    );
  });
}

for (const name of ['ddg', 'unsplashKeyed', 'unsplashKeyless'] as const) {
  const { source, parse, pages } = PARSERS[name]!;
  test(`${name}: real JSON with any value swapped for any other JSON value never breaks the parser`, () => {
    const doc = JSON.parse(readFixture(pages[0]!)) as unknown;
    fc.assert(
      fc.property(fc.nat(), fc.jsonValue({ maxDepth: 2 }), (at, replacement) => {
        checkParse(name, parse, source, JSON.stringify(swapped(doc, at, replacement)));
      }),
      { numRuns: 200 },
    );
  });
}

test('extractVqd never throws and returns only a token of safe characters', () => {
  const page = readFixture('duckduckgo_images/vqd-page-head.excerpt.html');
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.array(MUTATION, { maxLength: 6 }).map((m) => mutate(page, m)),
      ),
      (text) => {
        const token = extractVqd(text);
        if (token !== undefined) assert.match(token, /^[\w-]{1,300}$/);
      },
    ),
    { numRuns: 200 },
  );
});

test('a huge hostile script with unterminated arrays is parsed in one pass (no runaway backtracking)', () => {
  const hostile = `AF_initDataCallback({data:${'["http://a/\\"",1,2],["'.repeat(20_000)}`;
  assert.deepEqual(parseInitData(hostile), []);
  assert.equal(parseGooglePage(`<script>${hostile}</script>`).reading.readable, 0);
});

// Against a server that answers the same mutated page to every request, a search ends: it
// yields or fails with ParseError/BlockedError, after at most two result pages (the second
// adds nothing new), whatever the page cap.
const LIVE: { source: Source; env: string; page: string; tokenPage?: string; type: string }[] = [
  { source: bing, env: 'BING_IMAGES_BASE_URL', page: 'bing_images/page-1.assembled.html', type: 'text/html' },
  { source: google, env: 'GOOGLE_IMAGES_BASE_URL', page: 'google_images/wml-page-1.assembled.html', type: 'text/html' },
  {
    source: yandex,
    env: 'YANDEX_IMAGES_BASE_URL',
    page: 'yandex_images/data-state-page-1.assembled.html',
    type: 'text/html',
  },
  {
    source: ddg,
    env: 'DUCKDUCKGO_IMAGES_BASE_URL',
    page: 'duckduckgo_images/i.js-images.json',
    tokenPage: 'duckduckgo_images/vqd-page-head.excerpt.html',
    type: 'application/json',
  },
  { source: unsplash, env: 'UNSPLASH_BASE_URL', page: 'unsplash/search-photos.json', type: 'application/json' },
];

for (const live of LIVE) {
  test(`${live.source.id}: a server repeating one (mutated) page for ever gets at most two result requests`, async () => {
    let body = '';
    const service = await fakeServer((req, res, url) => {
      res.writeHead(200, { 'content-type': live.tokenPage && url.pathname === '/' ? 'text/html' : live.type });
      res.end(live.tokenPage && url.pathname === '/' ? readFixture(live.tokenPage) : body);
    });
    const t = makeContext(live.source, { [live.env]: service.origin, UNSPLASH_ACCESS_KEY: 'k' }, { maxPages: 1000 });
    try {
      const base = readFixture(live.page);
      await fc.assert(
        fc.asyncProperty(fc.array(MUTATION, { maxLength: 4 }), async (mutations) => {
          body = mutate(base, mutations);
          const before = service.requests.length;
          try {
            await collect(live.source, { text: 'x', limit: 1000 }, t.ctx);
          } catch (error) {
            if (!(error instanceof ParseError || error instanceof BlockedError)) throw error;
          }
          const results = service.requests
            .slice(before)
            .filter((r) => !(live.tokenPage && new URL(r, 'http://x').pathname === '/'));
          assert.ok(results.length <= 2, `${results.length} result requests`);
        }),
        { numRuns: 25 },
      );
    } finally {
      await t.close();
      await service.close();
    }
  });
}
