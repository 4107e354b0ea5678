import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import { readFixture, startSimulation } from '../../src/demo/sim-server.ts';
import { parseUnsplashPage, source, trackUrlOn } from '../../src/sources/unsplash.ts';
import {
  always,
  assertVideoSearchAsksNothing,
  collect,
  fakeServer,
  makeContext,
  runJob,
  searchError,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';
import { openHarness } from '../jobs/harness.ts';

const SAMPLE = readFixture('unsplash/search-photos.json');
const JSON_TYPE = { 'content-type': 'application/json' };

const RECORDED = {
  id: 'unsplash:CoqJGsFVJtM',
  source: 'unsplash',
  kind: 'image',
  url: 'https://images.unsplash.com/photo-1570913149827-d2ac84ab3f9a?crop=entropy&cs=srgb&fm=jpg&ixid=M3w1MzA4NzJ8MHwxfHNlYXJjaHwxfHxhcHBsZXxlbnwwfHx8fDE3MDA1NTAwODJ8MA&ixlib=rb-4.0.3&q=85',
  width: 5209,
  height: 3473,
  title: 'A hand holding an apple',
  pageUrl: 'https://unsplash.com/photos/one-red-apple-CoqJGsFVJtM',
  thumbnailUrl:
    'https://images.unsplash.com/photo-1570913149827-d2ac84ab3f9a?crop=entropy&cs=tinysrgb&fit=max&fm=jpg&ixid=M3w1MzA4NzJ8MHwxfHNlYXJjaHwxfHxhcHBsZXxlbnwwfHx8fDE3MDA1NTAwODJ8MA&ixlib=rb-4.0.3&q=80&w=200',
  author: 'Priscilla Du Preez 🇨🇦',
  license: 'Unsplash License',
  licenseUrl: 'https://unsplash.com/license',
};

test('the recorded /search/photos answer parses to exactly its photo; keyed answers keep download_location', () => {
  const keyed = parseUnsplashPage(SAMPLE, true);
  assert.equal(keyed.totalPages, 1);
  assert.deepEqual(keyed.candidates, [
    {
      ...RECORDED,
      trackUrl:
        'https://api.unsplash.com/photos/CoqJGsFVJtM/download?ixid=M3w1MzA4NzJ8MHwxfHNlYXJjaHwxfHxhcHBsZXxlbnwwfHx8fDE3MDA1NTAwODJ8MA',
    },
  ]);
  assert.deepEqual(parseUnsplashPage(SAMPLE, false).candidates, [RECORDED]);
});

test('Unsplash+ photos are read but not yielded; alt_description stands in for a missing description', () => {
  const data = JSON.parse(SAMPLE) as { results: Record<string, unknown>[] };
  const premium = { ...data.results[0], id: 'PLUSPHOTO1', premium: true, plus: true };
  const plain = { ...data.results[0], description: null };
  const page = parseUnsplashPage(JSON.stringify({ ...data, results: [premium, plain] }), false);
  assert.deepEqual(page.skippedIds, ['unsplash:PLUSPHOTO1']);
  assert.deepEqual(
    page.candidates.map((c) => c.title),
    ['one red apple'],
  );
});

test('an answer without results, or not JSON, is a ParseError naming unsplash', () => {
  assert.throws(
    () => parseUnsplashPage('{"errors":["x"]}', true),
    (e) =>
      e instanceof ParseError &&
      e.message === 'unsplash: layout changed: no results array and no total: 0; came an object with keys errors',
  );
  assert.throws(() => parseUnsplashPage('[1,2]', true), ParseError);
  assert.throws(
    () => parseUnsplashPage('', true),
    (e) => e instanceof ParseError && /^unsplash: /.test(e.message),
  );
});

test('keyed: /search/photos with Client-ID, per_page near the limit, pages to total_pages, rate limit reported', async () => {
  await withSimulation(source, { env: { UNSPLASH_ACCESS_KEY: 'k-123' } }, async (t, simulation) => {
    const got = await collect(source, { text: 'apple', limit: 3 }, t.ctx);
    const pool = JSON.parse(readFixture('unsplash/results-pool.assembled.json')) as { id: string }[];
    assert.deepEqual(
      got.map((c) => c.id),
      pool.map((p) => `unsplash:${p.id}`),
    );
    for (const c of got) {
      assert.ok(c.url.startsWith(`${simulation.origins.unsplash}/__media/`), c.url);
      assert.ok(c.trackUrl?.startsWith('https://api.unsplash.com/photos/'), c.trackUrl);
      assert.equal(c.license, 'Unsplash License');
    }
    const requests = simulation.requests.unsplash!.map((r) => new URL(r, 'http://x'));
    assert.deepEqual(
      requests.map((u) => [
        u.pathname,
        u.searchParams.get('query'),
        u.searchParams.get('page'),
        u.searchParams.get('per_page'),
      ]),
      [
        ['/search/photos', 'apple', '1', '6'],
        ['/search/photos', 'apple', '2', '6'],
      ],
    );
    assert.deepEqual(t.rateLimits, [49, 48]);
    assert.equal(t.pages(), 2);
  });
});

test('keyless: /napi/search/photos without Authorization, no trackUrl', async () => {
  await withFakeServer(source, always(SAMPLE, 200, JSON_TYPE), async (t, service) => {
    assert.equal(t.ctx.config.unsplashAccessKey, null);
    assert.deepEqual(await collect(source, { text: 'apple', limit: 5 }, t.ctx), [RECORDED]);
    assert.equal(new URL(service.requests[0]!, 'http://x').pathname, '/napi/search/photos');
    assert.equal(service.headers[0]!.authorization, undefined);
    assert.equal(service.requests.length, 1); // total_pages is 1
  });
});

test('the simulation answers 401 to /search/photos without a Client-ID, as the API does', async () => {
  await withSimulation(source, async (t, simulation) => {
    const res = await t.ctx.http.getText(`${simulation.origins.unsplash}/search/photos?query=x`, {
      acceptStatus: () => true,
    });
    assert.equal(res.status, 401);
  });
});

test('a refused key (401) and the rate limit (403) are BlockedErrors; the remaining count is still reported', async () => {
  for (const [status, body, headers, message] of [
    [
      401,
      '{"errors":["OAuth error: The access token is invalid"]}',
      JSON_TYPE,
      'unsplash: blocked: HTTP 401: UNSPLASH_ACCESS_KEY was refused',
    ],
    [
      403,
      'Rate Limit Exceeded',
      { 'content-type': 'text/plain', 'x-ratelimit-remaining': '0' },
      'unsplash: blocked: HTTP 403: rate limit exceeded',
    ],
  ] as const) {
    await withFakeServer(source, always(body, status, headers), { env: { UNSPLASH_ACCESS_KEY: 'bad' } }, async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof BlockedError, String(error));
      assert.equal(error.message, message);
      assert.deepEqual(t.rateLimits, status === 403 ? [0] : []);
    });
  }
});

test('an HTML page on the keyless path is a BlockedError naming the key to set', async () => {
  await withFakeServer(
    source,
    always('<!doctype html><html><title>Making sure you are not a bot!</title></html>'),
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof BlockedError);
      assert.match(error.message, /UNSPLASH_ACCESS_KEY/);
    },
  );
});

test('an empty results array is the end after one request; the same page for ever stops after two', async () => {
  const empty = await fakeServer(always('{"total":0,"total_pages":0,"results":[]}', 200, JSON_TYPE));
  const data = JSON.parse(SAMPLE) as Record<string, unknown>;
  delete data.total_pages; // nothing tells where the end is: only the repeat stops the search
  const same = await fakeServer(always(JSON.stringify(data), 200, JSON_TYPE));
  const a = makeContext(source, { UNSPLASH_BASE_URL: empty.origin, UNSPLASH_ACCESS_KEY: 'k' });
  const b = makeContext(source, { UNSPLASH_BASE_URL: same.origin, UNSPLASH_ACCESS_KEY: 'k' }, { maxPages: 50 });
  try {
    assert.deepEqual(await collect(source, { text: 'x' }, a.ctx), []);
    assert.equal(empty.requests.length, 1);
    assert.equal((await collect(source, { text: 'x' }, b.ctx)).length, 1);
    assert.equal(same.requests.length, 2);
  } finally {
    await a.close();
    await b.close();
    await empty.close();
    await same.close();
  }
});

test('onSaved calls download_location with the key, on the origin in use; never without a key or on another host', async () => {
  const simulation = await startSimulation({ sources: ['unsplash'] });
  const keyed = makeContext(source, { ...simulation.env, UNSPLASH_ACCESS_KEY: 'k-123' });
  const keyless = makeContext(source, { UNSPLASH_BASE_URL: simulation.origins.unsplash! });
  try {
    const [first] = await collect(source, { text: 'apple', limit: 1 }, keyed.ctx, 1);
    const before = simulation.requests.unsplash!.length;
    await source.onSaved!(first!, keyed.ctx);
    const calls = simulation.requests.unsplash!.slice(before);
    assert.deepEqual(calls, [
      '/photos/CoqJGsFVJtM/download?ixid=M3w1MzA4NzJ8MHwxfHNlYXJjaHwxfHxhcHBsZXxlbnwwfHx8fDE3MDA1NTAwODJ8MA',
    ]);
    await source.onSaved!(first!, keyless.ctx);
    await source.onSaved!({ ...first!, trackUrl: 'https://evil.example/steal' }, keyed.ctx);
    assert.equal(simulation.requests.unsplash!.length, before + 1);
    assert.equal(trackUrlOn('https://evil.example/photos/x/download', 'https://api.unsplash.com'), undefined);
    assert.equal(
      trackUrlOn('https://api.unsplash.com/photos/x/download?ixid=1', 'http://127.0.0.1:9'),
      'http://127.0.0.1:9/photos/x/download?ixid=1',
    );
  } finally {
    await keyed.close();
    await keyless.close();
    await simulation.close();
  }
});

test('a video search asks Unsplash nothing', () => assertVideoSearchAsksNothing(source));

test(
  'a keyed job through the real runner downloads every photo, calls download_location for each, keeps attribution',
  { timeout: 60_000 },
  async () => {
    const { doc, filesOnDisk, requests } = await runJob('unsplash', { limit: 50, type: 'image' });
    assert.equal(doc.status, 'completed');
    const stats = doc.results.source_stats.unsplash!;
    assert.deepEqual([stats.downloaded, stats.failed_downloads, stats.pages], [10, 0, 1]);
    assert.equal(typeof stats.rate_limit_remaining, 'number');
    const ids = doc.results.files.map((f) => f.candidate_id.replace('unsplash:', '')).sort();
    const tracked = requests
      .filter((r) => /^\/photos\/[^/]+\/download(?:\?|$)/.test(r))
      .map((r) => r.split('/')[2]!)
      .sort();
    assert.deepEqual(tracked, ids);
    for (const f of doc.results.files) {
      assert.equal(f.license, 'Unsplash License');
      assert.equal(f.license_url, 'https://unsplash.com/license');
      assert.ok(f.author && f.page_url?.startsWith('https://unsplash.com/photos/'), JSON.stringify(f));
    }
    assert.equal(filesOnDisk.length, 10);
  },
);

test(
  'download_location is called on every save in every job: after-save calls bypass the search cache',
  { timeout: 60_000 },
  async () => {
    const h = await openHarness({ sim: { sources: ['unsplash'] } });
    try {
      const tracked = () => h.sim.requests.unsplash!.filter((r) => r.startsWith('/photos/')).length;
      const spec = {
        query: 'apple',
        sources: ['unsplash' as const],
        limit: 2,
        type: 'image' as const,
        options: { noArchive: true },
      };
      const first = await h.service.wait((await h.service.submit(spec)).job_id);
      const second = await h.service.wait((await h.service.submit(spec)).job_id);
      assert.deepEqual([first.results.downloaded, second.results.downloaded], [2, 2]);
      // The same two tracking URLs twice: a cached answer would have kept the second job's calls from Unsplash.
      assert.equal(tracked(), 4);
    } finally {
      await h.close();
    }
  },
);
