import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import { readFixture } from '../../src/demo/sim-server.ts';
import { extractVqd, parseDdgImages, source } from '../../src/sources/duckduckgo-images.ts';
import { urlHashId } from '../../src/sources/parse/native-id.ts';
import {
  always,
  assertVideoSearchAsksNothing,
  collect,
  runJob,
  searchError,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';

const TOKEN = '3-320068370671196460038575011587633753929-199869977846294510399902480995708132308';

test('the vqd token is read in all three spellings: vqd=\'…\', vqd="…" and vqd=…&', () => {
  const page = readFixture('duckduckgo_images/vqd-page-head.excerpt.html');
  assert.equal(extractVqd(page), TOKEN);
  // Current pages quote it with double quotes (same real token, other spelling).
  assert.equal(extractVqd(page.replace(`vqd='${TOKEN}'`, `vqd="${TOKEN}"`)), TOKEN);
  // Only the script URL form left: "…&vqd=3-…&p_ent=…".
  const urlOnly = page.replace(`vqd='${TOKEN}';`, '');
  assert.ok(!urlOnly.includes(`vqd='`));
  assert.equal(extractVqd(urlOnly), TOKEN);
  assert.equal(extractVqd('<html><head><title>x</title></head></html>'), undefined);
});

test('the recorded /i.js answer parses to exactly its results, with the next offset', () => {
  const page = parseDdgImages(readFixture('duckduckgo_images/i.js-images.json'));
  assert.equal(page.nextOffset, 100);
  const expected = [
    [
      933,
      1214,
      'https://www.gamepur.com/files/images/2019-11/minecraft-earth-how-to-craft-and-smelt.jpg',
      'https://tse2.explicit.bing.net/th?id=OIP.Gs1jkAe-9iVFH4-sNHSQoQHaFs&pid=Api',
      'Minecraft Earth - How to Craft and Smelt',
      'https://www.gamepur.com/guide/44494-minecraft-earth-how-craft-smelt.html',
    ],
    [
      900,
      900,
      'https://yt3.ggpht.com/a/AATXAJz0oohW9kRgg-jVmB21Om7QlRYj-ruAg7rNMZo_=s900-c-k-c0xffffffff-no-rj-mo',
      'https://tse2.explicit.bing.net/th?id=OIP.Dyrg83ia15HVb9ragpDxzQHaHa&pid=Api',
      'Minecraft Games - YouTube',
      'https://www.youtube.com/channel/UCPFEvlEIx4EyldIqNNe2x2g',
    ],
    [
      720,
      1280,
      'https://cdn1.vox-cdn.com/thumbor/zfUQE6vrHeQ-nffQApdxNEgZKEI=/0x0:1280x720/1280x720/cdn0.vox-cdn.com/uploads/chorus_image/image/43551360/minecraft_ps4_edition.0.0.jpg',
      'https://tse1.mm.bing.net/th?id=OIP.Rh9hzf_1xkmn1gM__VqlyAHaEK&pid=Api',
      'Microsoft officially owns Minecraft and developer Mojang ...',
      'http://www.polygon.com/2014/11/6/7167349/microsoft-owns-minecraft-mojang-acquisition-closes',
    ],
    [
      720,
      1280,
      'https://unblockedgames7766.com/wp-content/uploads/2021/03/minecraft-unblocked.jpg',
      'https://tse3.mm.bing.net/th?id=OIP.L2GdTjbwSNByvTqU2zaaZwHaEK&pid=Api',
      'Minecraft Unblocked | Free | UnblockedGames7766 😋',
      'https://unblockedgames7766.com/minecraft/',
    ],
  ] as const;
  assert.deepEqual(
    page.candidates,
    expected.map(([height, width, url, thumbnailUrl, title, pageUrl]) => ({
      id: `duckduckgo_images:${urlHashId(url)}`,
      source: 'duckduckgo_images',
      kind: 'image',
      url,
      width,
      height,
      title,
      pageUrl,
      thumbnailUrl,
    })),
  );
});

test('the recorded empty answer is the end (no candidates), not an error', () => {
  const page = parseDdgImages(readFixture('duckduckgo_images/i.js-no-results.real.json'));
  assert.deepEqual(page.candidates, []);
});

test('an answer without a results array, or not JSON, is a ParseError', () => {
  assert.throws(
    () => parseDdgImages('{"ads":null,"next":"i.js?s=100","items":[]}'),
    (e) =>
      e instanceof ParseError &&
      e.message === 'duckduckgo_images: layout changed: no results array; came an object with keys ads, next, items',
  );
  assert.throws(
    () => parseDdgImages('<html>Sorry</html>'),
    (e) => e instanceof ParseError && /duckduckgo_images: .*not JSON \(got an HTML page\)/.test(e.message),
  );
});

test('search takes the token, then pages /i.js by next offset with the vqd and a Referer; repeats dropped; stops at the empty answer', async () => {
  await withSimulation(source, async (t, simulation) => {
    const got = await collect(source, { text: 'minecraft', limit: 500 }, t.ctx);
    const page1 = JSON.parse(readFixture('duckduckgo_images/i.js-page-1.real.json')) as {
      results: { image: string }[];
    };
    const page2 = JSON.parse(readFixture('duckduckgo_images/i.js-page-2.assembled.json')) as {
      results: { image: string }[];
    };
    const distinct = new Set([...page1.results, ...page2.results].map((r) => r.image));
    assert.equal(distinct.size, 106); // 94 of page 2's 100 results repeat page 1
    assert.equal(got.length, 106);
    assert.equal(new Set(got.map((c) => c.id)).size, 106);
    const requests = simulation.requests.duckduckgo_images!.map((r) => new URL(r, 'http://x'));
    assert.deepEqual(
      requests.map((u) => [u.pathname, u.searchParams.get('q'), u.searchParams.get('vqd'), u.searchParams.get('s')]),
      [
        ['/', 'minecraft', null, null],
        ['/i.js', 'minecraft', TOKEN, null],
        ['/i.js', 'minecraft', TOKEN, '100'],
        ['/i.js', 'minecraft', TOKEN, '200'],
      ],
    );
    assert.equal(requests[1]!.searchParams.get('o'), 'json');
    assert.equal(t.pages(), 3);
  });
});

test('/i.js is requested with the Referer DuckDuckGo checks', async () => {
  await withFakeServer(
    source,
    (req, res, url) => {
      res.writeHead(200, { 'content-type': url.pathname === '/' ? 'text/html' : 'application/json' });
      res.end(
        url.pathname === '/'
          ? readFixture('duckduckgo_images/vqd-page-head.excerpt.html')
          : readFixture('duckduckgo_images/i.js-no-results.real.json'),
      );
    },
    async (t, service) => {
      assert.deepEqual(await collect(source, { text: 'x' }, t.ctx), []);
      assert.equal(service.headers[1]!.referer, `${service.origin}/`);
      assert.equal(service.requests.length, 2);
    },
  );
});

test('a 403 on /i.js is a BlockedError', async () => {
  await withFakeServer(
    source,
    (req, res, url) => {
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(readFixture('duckduckgo_images/vqd-page-head.excerpt.html'));
      } else {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('If this error persists, please let us know: ops@duckduckgo.com');
      }
    },
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof BlockedError, String(error));
      assert.match(error.message, /^duckduckgo_images: blocked: HTTP 403 on \/i\.js/);
    },
  );
});

test('the simulation refuses a wrong token with a 403, as DuckDuckGo does', async () => {
  await withSimulation(source, async (t, simulation) => {
    const res = await t.ctx.http.getText(`${simulation.origins.duckduckgo_images}/i.js?q=x&o=json&vqd=3-1`, {
      acceptStatus: () => true,
    });
    assert.equal(res.status, 403);
  });
});

test('a search page without a token is a ParseError; a 403 on it is a BlockedError', async () => {
  for (const [status, check] of [
    [
      200,
      (e: unknown) =>
        e instanceof ParseError && e.message === 'duckduckgo_images: layout changed: no vqd token on the search page',
    ],
    [
      403,
      (e: unknown) =>
        e instanceof BlockedError && e.message === 'duckduckgo_images: blocked: HTTP 403 on the search page',
    ],
  ] as const) {
    await withFakeServer(source, always('<!DOCTYPE html><html><!-- snip --></html>', status), async (t, service) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(check(error), String(error));
      assert.equal(service.requests.length, 1);
    });
  }
});

test('a service that answers the same page for ever is asked twice, then the search stops', async () => {
  await withFakeServer(
    source,
    (req, res, url) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        url.pathname === '/'
          ? readFixture('duckduckgo_images/vqd-page-head.excerpt.html')
          : readFixture('duckduckgo_images/i.js-images.json'),
      );
    },
    { maxPages: 50 },
    async (t, service) => {
      assert.equal((await collect(source, { text: 'x', limit: 100 }, t.ctx)).length, 4);
      // The recorded page always says next is s=100: page 2 repeats page 1 and ends the search.
      assert.equal(service.requests.length, 3);
    },
  );
});

test('a video search asks DuckDuckGo nothing', () => assertVideoSearchAsksNothing(source));

test('a job through the real runner downloads all 106 distinct images once', { timeout: 60_000 }, async () => {
  const { doc, filesOnDisk, requests } = await runJob('duckduckgo_images', { limit: 200, type: 'image' });
  assert.equal(doc.status, 'completed');
  const stats = doc.results.source_stats.duckduckgo_images!;
  assert.deepEqual([stats.downloaded, stats.found, stats.failed_downloads, stats.pages], [106, 106, 0, 3]);
  assert.equal(new Set(doc.results.files.map((f) => f.candidate_id)).size, 106);
  assert.equal(new Set(doc.results.files.map((f) => f.sha256)).size, 106);
  assert.ok(doc.results.files.every((f) => f.page_url !== null && f.title !== null));
  assert.equal(filesOnDisk.length, 106);
  assert.equal(requests.filter((r) => r.startsWith('/i.js')).length, 3);
});
