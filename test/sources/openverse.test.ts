import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import {
  licenseName,
  licenseUrlOf,
  openverseRemaining,
  parseOpenverseImages,
  source,
} from '../../src/sources/openverse.ts';
import {
  collect,
  fixtureJson,
  runJob,
  searchError,
  sendJson,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';

test('parses the recorded Duhok answer exactly: null filetype, license from license + version', () => {
  const answer = parseOpenverseImages(fixtureJson('openverse/images-search.real-trimmed.json'), 1);
  assert.equal(answer.hasNext, true, '240 results at 20 a page');
  assert.deepEqual(answer.candidates, [
    {
      id: 'openverse:03b8a0b8-19c7-4d48-bd6f-6e0c83e1be97',
      source: 'openverse',
      kind: 'image',
      url: 'https://upload.wikimedia.org/wikipedia/commons/2/26/City_of_Duhok.jpg',
      width: 960,
      height: 623,
      title: 'City of Duhok',
      pageUrl: 'https://commons.wikimedia.org/w/index.php?curid=37605325',
      thumbnailUrl: 'https://api.openverse.org/v1/images/03b8a0b8-19c7-4d48-bd6f-6e0c83e1be97/thumb/',
      author: 'Claus Weinberg',
      license: 'CC BY 2.0',
      licenseUrl: 'https://creativecommons.org/licenses/by/2.0/',
      mime: 'image/jpeg',
    },
    {
      id: 'openverse:7cf5a40a-2781-48ce-9fa5-cbc62cdbc816',
      source: 'openverse',
      kind: 'image',
      url: 'https://live.staticflickr.com/3313/3550230400_7510e2d7f8_b.jpg',
      width: 1000,
      height: 1000,
      title: 'Kurdistan Duhok City - kurdi',
      pageUrl: 'https://www.flickr.com/photos/8605011@N02/3550230400',
      thumbnailUrl: 'https://api.openverse.org/v1/images/7cf5a40a-2781-48ce-9fa5-cbc62cdbc816/thumb/',
      author: 'Kurdistan Photo كوردستان',
      license: 'CC BY-SA 2.0',
      licenseUrl: 'https://creativecommons.org/licenses/by-sa/2.0/',
    },
    {
      id: 'openverse:7f478d72-ffec-48b1-a560-629d69bfb559',
      source: 'openverse',
      kind: 'image',
      url: 'https://upload.wikimedia.org/wikipedia/commons/2/26/Duhok_in_Iraq.svg',
      width: 1240,
      height: 1263,
      title: 'Duhok in Iraq',
      pageUrl: 'https://commons.wikimedia.org/w/index.php?curid=16495990',
      thumbnailUrl: 'https://api.openverse.org/v1/images/7f478d72-ffec-48b1-a560-629d69bfb559/thumb/',
      author: 'TUBS',
      license: 'CC BY-SA 3.0',
      licenseUrl: 'https://creativecommons.org/licenses/by-sa/3.0/',
      mime: 'image/svg+xml',
    },
  ]);
});

test('parses the documented example: license_url and filesize as given, page_count ends paging', () => {
  const recorded = fixtureJson('openverse/images-search.docs-example.json');
  const answer = parseOpenverseImages(recorded, 1);
  assert.deepEqual(answer.candidates[0], {
    id: 'openverse:4bc43a04-ef46-4544-a0c1-63c63f56e276',
    source: 'openverse',
    kind: 'image',
    url: 'https://cdn.stocksnap.io/img-thumbs/960w/XNVBVXO3B7.jpg',
    width: 6016,
    height: 4016,
    title: 'Tree Bark Photo',
    pageUrl: 'https://stocksnap.io/photo/XNVBVXO3B7',
    thumbnailUrl: 'https://api.openverse.org/v1/images/4bc43a04-ef46-4544-a0c1-63c63f56e276/thumb/',
    author: 'Tim Sullivan',
    license: 'CC0 1.0',
    licenseUrl: 'https://creativecommons.org/publicdomain/zero/1.0/',
    mime: 'image/jpeg',
    bytes: 896128,
  });
  assert.equal(answer.hasNext, true);
  assert.equal(parseOpenverseImages(recorded, 20).hasNext, false, 'page 20 of page_count 20 is the last');
});

test('license names and deeds cover CC0, the public domain mark and the BY family; junk gives none', () => {
  assert.equal(licenseName('pdm', '1.0'), 'Public Domain Mark 1.0');
  assert.equal(licenseUrlOf('pdm', '1.0'), 'https://creativecommons.org/publicdomain/mark/1.0/');
  assert.equal(licenseName('by-nc-nd', '4.0'), 'CC BY-NC-ND 4.0');
  assert.equal(licenseUrlOf('by-nc-nd', '4.0'), 'https://creativecommons.org/licenses/by-nc-nd/4.0/');
  assert.equal(licenseName('<script>', '1.0'), undefined);
  assert.equal(licenseUrlOf('by', '"><x'), undefined);
  assert.equal(licenseName(42, null), undefined);
});

test('reads the smallest remaining request count among the throttle headers', () => {
  assert.equal(
    openverseRemaining({ 'x-ratelimit-available-anon_burst': '19', 'x-ratelimit-available-anon_sustained': '199' }),
    19,
  );
  assert.equal(openverseRemaining({ 'content-type': 'application/json' }), undefined);
});

test('no results array is a ParseError; empty results are the end', () => {
  assert.throws(
    () => parseOpenverseImages({ detail: 'Not found.' }, 1),
    (e: unknown) =>
      e instanceof ParseError &&
      e.source === 'openverse' &&
      e.message ===
        'openverse: layout changed: no results array and no result_count: 0; came an object with keys detail',
  );
  assert.deepEqual(parseOpenverseImages({ result_count: 0, page_count: 0, results: [] }, 1), {
    candidates: [],
    hasNext: false,
  });
});

test('searches the simulation: page 1, page 2, empty page 3; duplicates dropped; throttle reported', async () => {
  await withSimulation(source, async (t, sim) => {
    const found = await collect(source, { text: 'Duhok', limit: 50 }, t.ctx);
    assert.deepEqual(
      found.map((c) => c.id.slice(10, 18)),
      ['03b8a0b8', '7cf5a40a', '7f478d72', '4bc43a04'],
    );
    assert.ok(
      found.every(
        (c) =>
          c.url.startsWith(`${sim.origins.openverse}/__media/`) && c.thumbnailUrl!.startsWith(sim.origins.openverse!),
      ),
    );
    assert.equal(
      found[0]!.pageUrl,
      'https://commons.wikimedia.org/w/index.php?curid=37605325',
      'landing pages are not media',
    );
    assert.deepEqual(sim.requests.openverse, [
      '/v1/images/?q=Duhok&page=1&page_size=20',
      '/v1/images/?q=Duhok&page=2&page_size=20',
      '/v1/images/?q=Duhok&page=3&page_size=20',
    ]);
    assert.equal(t.pages(), 3);
    assert.deepEqual(t.rateLimits, [19, 18, 17]);
  });
});

test('a video-only search asks nothing; a small limit asks for a small page', async () => {
  await withSimulation(source, async (t, sim) => {
    assert.deepEqual(await collect(source, { text: 'x', type: 'video' }, t.ctx), []);
    assert.deepEqual(sim.requests.openverse, []);
    await collect(source, { text: 'x', type: 'any', limit: 2 }, t.ctx, 1);
    assert.deepEqual(sim.requests.openverse, ['/v1/images/?q=x&page=1&page_size=5']);
  });
});

test('a changed layout is a ParseError; a repeated page stops after two requests', async () => {
  let body: unknown = { result_count: 3, items: [] };
  await withFakeServer(
    source,
    (_req, res) => sendJson(res, body),
    { maxPages: 20 },
    async (t, server) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.equal(
        error.message,
        'openverse: layout changed: no results array and no result_count: 0; came an object with keys result_count, items',
      );
      body = { ...(fixtureJson('openverse/images-search.docs-example.json') as object), page_count: 1000 };
      server.requests.length = 0;
      assert.equal((await collect(source, { text: 'x', limit: 100 }, t.ctx)).length, 1);
      assert.equal(server.requests.length, 2);
    },
  );
});

test('a job through the real runner downloads every result once, with creator and license attached', async () => {
  const { doc, filesOnDisk } = await runJob('openverse', { limit: 20, type: 'image' });
  assert.equal(doc.status, 'completed');
  const stats = doc.results.source_stats.openverse!;
  assert.deepEqual(
    [stats.downloaded, stats.found, stats.failed_downloads, stats.pages, stats.rate_limit_remaining],
    [4, 4, 0, 3, 17],
  );
  const duhok = doc.results.files.find((f) => f.candidate_id === 'openverse:03b8a0b8-19c7-4d48-bd6f-6e0c83e1be97')!;
  assert.deepEqual(
    [duhok.author, duhok.license, duhok.license_url, duhok.page_url],
    [
      'Claus Weinberg',
      'CC BY 2.0',
      'https://creativecommons.org/licenses/by/2.0/',
      'https://commons.wikimedia.org/w/index.php?curid=37605325',
    ],
  );
  assert.equal(filesOnDisk.length, 4);
});

test('a 401 (page_size above the anonymous maximum, or a bad token) is a BlockedError with the reason', async () => {
  await withFakeServer(
    source,
    (_req, res) => sendJson(res, { detail: 'Authentication credentials were not provided.' }, 401),
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof BlockedError);
      assert.equal(error.message, 'openverse: blocked: HTTP 401: Authentication credentials were not provided.');
    },
  );
});
