// Property tests for the JSON-API parsers (pexels, openverse, wikimedia_commons, pixabay,
// nasa_images): arbitrary values and real recorded answers mutated at random places (keys
// dropped, wrong types, nulls, huge numbers, markup) never make a parser throw anything but
// ParseError/BlockedError, and whatever it yields is well-formed. A server that keeps
// answering one (mutated) page is left after at most two search requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import type { MediaCandidate } from '../../src/core/types.ts';
import type { Source } from '../../src/sources/source.ts';
import { parsePexelsPhotos, parsePexelsVideos, source as pexels } from '../../src/sources/pexels.ts';
import { parseOpenverseImages, source as openverse } from '../../src/sources/openverse.ts';
import { parseCommonsAnswer, source as commons } from '../../src/sources/wikimedia-commons.ts';
import { parsePixabayImages, parsePixabayVideos, source as pixabay } from '../../src/sources/pixabay.ts';
import {
  nasaCandidate,
  parseNasaAsset,
  parseNasaSearch,
  pickNasaFile,
  source as nasa,
} from '../../src/sources/nasa-images.ts';
import { htmlToText, plainText } from '../../src/sources/parse/plain-text.ts';
import { encodeRawPathUrl, httpUrl } from '../../src/sources/parse/media-url.ts';
import { parseJsonBody } from '../../src/sources/parse/json-shape.ts';
import { refusalDetail } from '../../src/sources/parse/refusal.ts';
import { collect, fakeServer, fixtureJson, makeContext, sendJson } from './source-harness.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);

interface Parser {
  name: string;
  fixtures: string[];
  parse(data: unknown): MediaCandidate[];
}

const PARSERS: Parser[] = [
  {
    name: 'pexels photos',
    fixtures: ['pexels/photos-search.json', 'pexels/photos-search.laptop-page1.json'],
    parse: (d) => parsePexelsPhotos(d).candidates,
  },
  {
    name: 'pexels videos',
    fixtures: ['pexels/videos-search.json', 'pexels/videos-search.page2.assembled.json'],
    parse: (d) => parsePexelsVideos(d, 1080).candidates,
  },
  {
    name: 'openverse',
    fixtures: ['openverse/images-search.real-trimmed.json', 'openverse/images-search.docs-example.json'],
    parse: (d) => parseOpenverseImages(d, 1).candidates,
  },
  {
    name: 'wikimedia_commons',
    fixtures: [
      'wikimedia_commons/generator-search-imageinfo.real-trimmed.json',
      'wikimedia_commons/generator-search-imageinfo.fv1.assembled.json',
    ],
    parse: (d) => parseCommonsAnswer(d, 1080).candidates,
  },
  {
    name: 'pixabay images',
    fixtures: ['pixabay/images-search.json'],
    parse: (d) => parsePixabayImages(d, 1, 20).candidates,
  },
  {
    name: 'pixabay videos',
    fixtures: ['pixabay/videos-search.page2.assembled.json'],
    parse: (d) => parsePixabayVideos(d, 1, 20, 720).candidates,
  },
  {
    name: 'nasa search',
    fixtures: ['nasa_images/search-image.json', 'nasa_images/search-video.json'],
    parse: (d) =>
      parseNasaSearch(d).items.flatMap((i) => {
        const f = pickNasaFile(i.linkedFiles, 'image', 1080);
        return f ? [nasaCandidate(i, f)] : [];
      }),
  },
  {
    name: 'nasa asset',
    fixtures: ['nasa_images/asset-video.json', 'nasa_images/asset-iss026-s-001.assembled.json'],
    parse: (d) => {
      const files = parseNasaAsset(d);
      const f = pickNasaFile(files, 'video', 1080) ?? pickNasaFile(files, 'image', 1080);
      return f ? [nasaCandidate({ nasaId: 'x', kind: f.ext === 'mp4' ? 'video' : 'image', linkedFiles: [] }, f)] : [];
    },
  },
];

/** Values that break parsers written against a guess: wrong types, extremes, markup, hostile URLs. */
const nasty = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, '', ' ', '[]', '{}', [], {}, [[]], [null]),
  fc.constantFrom(
    'javascript:alert(1)',
    '//evil.example/x.jpg',
    'http://',
    'https://user:pw@host/x.jpg',
    'data:image/png;base64,AA==',
  ),
  fc.constantFrom(
    '<script>alert(1)</script>',
    '<a href="x">a</a> &amp; &#0; &#x110000;',
    '\u0000\u202e\ud800',
    'x'.repeat(5000),
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

type Mutation = { at: number; op: 'drop' | 'replace' | 'wrap'; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('drop', 'replace', 'replace', 'wrap'),
  value: nasty,
});

/** Every container slot (object key or array index) of a JSON value, depth-first. */
function slots(value: unknown, out: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = []) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i });
      slots(v, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value as Record<string, unknown>, key: k });
      slots(v, out);
    }
  }
  return out;
}

function mutate(original: unknown, mutations: Mutation[]): unknown {
  let root = structuredClone(original);
  for (const m of mutations) {
    const all = slots(root);
    if (all.length === 0) {
      root = m.value;
      continue;
    }
    const { parent, key } = all[m.at % all.length]!;
    const p = parent as Record<string | number, unknown>;
    if (m.op === 'drop') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete p[key];
    } else if (m.op === 'wrap') p[key] = [p[key]];
    else p[key] = m.value;
  }
  return root;
}

function expectOnlyParseErrors(run: () => MediaCandidate[], sourceId: string): void {
  let candidates: MediaCandidate[];
  try {
    candidates = run();
  } catch (error) {
    if (error instanceof ParseError || error instanceof BlockedError) return;
    throw error;
  }
  assert.ok(Array.isArray(candidates));
  for (const c of candidates) {
    assert.ok(c.id.startsWith(`${sourceId}:`) && c.id.length > sourceId.length + 1, `id ${c.id}`);
    assert.ok(c.kind === 'image' || c.kind === 'video');
    const url = new URL(c.url);
    assert.ok(url.protocol === 'http:' || url.protocol === 'https:', c.url);
    assert.equal(url.username + url.password, '');
    for (const key of ['pageUrl', 'thumbnailUrl', 'licenseUrl'] as const) {
      if (c[key] !== undefined) assert.match(new URL(c[key]).protocol, /^https?:$/);
    }
    for (const key of ['title', 'author', 'license'] as const) {
      const v = c[key];
      if (v === undefined) continue;
      assert.ok(v.length > 0 && Array.from(v).length <= 300, `${key} bounded`);
      assert.doesNotMatch(v, /<\/?[a-z][^>]*>/i, `${key} is plain text`);
      assert.ok(![...v].some((ch) => ch.charCodeAt(0) < 0x20), `${key} has no control characters`);
    }
    for (const key of ['width', 'height', 'bytes'] as const) {
      if (c[key] !== undefined) assert.ok(Number.isSafeInteger(c[key]) && c[key]! > 0, `${key} ${c[key]}`);
    }
  }
}

const SOURCE_OF: Record<string, string> = {
  'pexels photos': 'pexels',
  'pexels videos': 'pexels',
  openverse: 'openverse',
  wikimedia_commons: 'wikimedia_commons',
  'pixabay images': 'pixabay',
  'pixabay videos': 'pixabay',
  'nasa search': 'nasa_images',
  'nasa asset': 'nasa_images',
};

for (const parser of PARSERS) {
  const recorded = parser.fixtures.map((f) => fixtureJson(f));
  test(`${parser.name}: mutated real answers give ParseError or well-formed candidates`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...recorded),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (answer, mutations) => {
          expectOnlyParseErrors(() => parser.parse(mutate(answer, mutations)), SOURCE_OF[parser.name]!);
        },
      ),
      { numRuns: RUNS },
    );
  });
  test(`${parser.name}: arbitrary JSON gives ParseError or well-formed candidates`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nasty, fc.anything()), (value) => {
        expectOnlyParseErrors(() => parser.parse(value), SOURCE_OF[parser.name]!);
      }),
      { numRuns: RUNS },
    );
  });
}

test('text and URL helpers never throw and keep their promises on any string', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), nasty),
      (value) => {
        for (const text of [htmlToText(value, 50), plainText(value, 50)]) {
          if (text === undefined) continue;
          assert.ok(Array.from(text).length <= 50);
          assert.equal(text, text.trim());
        }
        for (const url of [httpUrl(value), encodeRawPathUrl(value)]) {
          if (url !== undefined) assert.match(new URL(url).protocol, /^https?:$/);
        }
        const reason = refusalDetail(String(value));
        if (reason !== undefined) assert.ok(Array.from(reason).length <= 160 && reason === reason.trim());
        try {
          parseJsonBody('pexels', String(value));
        } catch (error) {
          assert.ok(error instanceof ParseError);
        }
      },
    ),
    { numRuns: RUNS * 2 },
  );
});

const SERVED: { source: Source; env: string; fixture: string; type: 'image' | 'video' }[] = [
  { source: pexels, env: 'PEXELS', fixture: 'pexels/photos-search.laptop-page1.json', type: 'image' },
  { source: openverse, env: 'OPENVERSE', fixture: 'openverse/images-search.real-trimmed.json', type: 'image' },
  {
    source: commons,
    env: 'WIKIMEDIA_COMMONS',
    fixture: 'wikimedia_commons/generator-search-imageinfo.fv1.assembled.json',
    type: 'image',
  },
  { source: pixabay, env: 'PIXABAY', fixture: 'pixabay/images-search.json', type: 'image' },
  { source: nasa, env: 'NASA_IMAGES', fixture: 'nasa_images/search-image.json', type: 'image' },
];

test('a server that always answers the same (mutated) page is left after at most two search requests', async () => {
  let body: unknown = null;
  const server = await fakeServer((_req, res) => sendJson(res, body));
  try {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SERVED), fc.array(mutation, { maxLength: 3 }), async (served, mutations) => {
        // Keep the paging signals so the page really asks for more.
        const page = mutate(fixtureJson(served.fixture), mutations) as Record<string, unknown>;
        body = page;
        server.requests.length = 0;
        const t = makeContext(
          served.source,
          { [`${served.env}_BASE_URL`]: server.origin, PEXELS_API_KEY: 'k', PIXABAY_API_KEY: 'k' },
          { maxPages: 50 },
        );
        try {
          await collect(served.source, { text: 'x', type: served.type, limit: 500 }, t.ctx);
        } catch (error) {
          assert.ok(error instanceof ParseError || error instanceof BlockedError, String(error));
        } finally {
          await t.close();
        }
        assert.ok(
          server.requests.filter((r) => !r.startsWith('/asset/')).length <= 2,
          `${served.source.id}: ${server.requests.length} requests`,
        );
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 5)) },
    );
  } finally {
    await server.close();
  }
});
