import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, HttpStatusError, NotConfiguredError, ParseError } from '../../src/core/errors.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import {
  parsePixabayImages,
  parsePixabayVideos,
  pixabayVideo,
  source,
  PIXABAY_LICENSE,
  PIXABAY_LICENSE_URL,
} from '../../src/sources/pixabay.ts';
import {
  collect,
  fixtureJson,
  makeContext,
  runJob,
  searchError,
  sendJson,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';

test('parses the recorded image search exactly: largeImageURL with the web format as thumbnail', () => {
  const page = parsePixabayImages(fixtureJson('pixabay/images-search.json'), 1, 3);
  assert.equal(page.hasNext, true);
  assert.equal(page.candidates.length, 3);
  assert.deepEqual(page.candidates[0], {
    id: 'pixabay:image:3386356',
    source: 'pixabay',
    kind: 'image',
    url: 'https://pixabay.com/get/g7cc7554c615e04109808008e4e4020b9ecae94aa679adff08908b38c942e488c9946e6e4c8f58d9674ab059276fe072e19f63bf79af2aa375d7ef278d2b34475_1280.jpg',
    title: 'piglet, mammal, species',
    pageUrl: 'https://pixabay.com/photos/piglet-mammal-species-fauna-3386356/',
    thumbnailUrl:
      'https://pixabay.com/get/g559a0719535d311c566d451e688a266be9cd5eb79181f69ae9b8a23980fa65b85791056a7ba710f07af034e8cabbd60a7bcac780e5dec332b502dad8f69197e1_640.jpg',
    author: 'RoyBuri',
    license: PIXABAY_LICENSE,
    licenseUrl: PIXABAY_LICENSE_URL,
  });
  assert.equal(page.candidates[1]!.author, 'vantagepointfl');
});

test('paging stops at totalHits (only those are reachable)', () => {
  const recorded = fixtureJson('pixabay/images-search.json');
  assert.equal(parsePixabayImages(recorded, 166, 3).hasNext, true);
  assert.equal(parsePixabayImages(recorded, 167, 3).hasNext, false, '167 × 3 ≥ 500');
  assert.equal(parsePixabayImages({ total: 0, totalHits: 0, hits: [] }, 1, 20).hasNext, false);
});

test('without largeImageURL the web format is taken, with its own size', () => {
  const hit = (fixtureJson('pixabay/images-search.json') as { hits: Record<string, unknown>[] }).hits[2]!;
  const [c] = parsePixabayImages({ totalHits: 1, hits: [{ ...hit, largeImageURL: '' }] }, 1, 3).candidates;
  assert.equal(c!.url, hit.webformatURL);
  assert.deepEqual(
    [c!.width, c!.height, c!.thumbnailUrl],
    [640, 427, 'https://cdn.pixabay.com/photo/2018/10/12/10/31/piglets-3741880_150.jpg'],
  );
});

test('parses the recorded video hits: the largest size within the cap by its shorter side', () => {
  const hits = fixtureJson('pixabay/videos-search.hits-excerpt.json') as unknown[];
  assert.deepEqual(pixabayVideo(hits[0], 1080), {
    id: 'pixabay:video:27669',
    source: 'pixabay',
    kind: 'video',
    url: 'https://cdn.pixabay.com/video/2019/10/09/27669-365224683_small.mp4',
    width: 1920,
    height: 1080,
    bytes: 4897014,
    title:
      'particles, plexus, network, glowing, cinematic, titles, background, lines, connections, business, beautiful wallpaper, dynamic, futuristic, light, flares, footage, digital, geometry, geometric, golden, live wallpaper',
    pageUrl: 'https://pixabay.com/videos/id-27669/',
    thumbnailUrl: 'https://cdn.pixabay.com/video/2019/10/09/27669-365224683_small.jpg',
    author: 'motionstock',
    license: PIXABAY_LICENSE,
    licenseUrl: PIXABAY_LICENSE_URL,
  });
  assert.equal(pixabayVideo(hits[0], 720)!.url, 'https://cdn.pixabay.com/video/2019/10/09/27669-365224683_tiny.mp4');
  assert.equal(pixabayVideo(hits[0], 4320)!.url, 'https://cdn.pixabay.com/video/2019/10/09/27669-365224683_large.mp4');
  // 1906×1080 is 1080p; 1270×719 fits a 720 cap.
  assert.equal(pixabayVideo(hits[1], 1080)!.url, 'https://cdn.pixabay.com/video/2022/11/03/137546-766917889_large.mp4');
  assert.deepEqual([pixabayVideo(hits[1], 720)!.width, pixabayVideo(hits[1], 720)!.height], [1270, 719]);
  assert.equal(pixabayVideo(hits[1], 240), undefined);
});

test('a size with an empty URL is skipped', () => {
  const hit = structuredClone(
    (
      fixtureJson('pixabay/videos-search.hits-excerpt.json') as Record<string, { large: Record<string, unknown> }>[]
    )[0]!,
  );
  (hit.videos as { large: Record<string, unknown> }).large = { url: '', width: 0, height: 0, size: 0, thumbnail: '' };
  assert.equal(pixabayVideo(hit, 4320)!.url, 'https://cdn.pixabay.com/video/2019/10/09/27669-365224683_medium.mp4');
});

test('no hits array is a ParseError naming pixabay', () => {
  assert.throws(
    () => parsePixabayImages({ total: 1, results: [] }, 1, 3),
    (e: unknown) =>
      e instanceof ParseError &&
      e.source === 'pixabay' &&
      e.message ===
        'pixabay: layout changed: no hits array and no totalHits: 0 or total: 0; came an object with keys total, results',
  );
  assert.throws(
    () => parsePixabayVideos({ totalHits: 1, hits: [{ id: 1, videos: {} }] }, 1, 3, 1080),
    /none of 1 hits/,
  );
});

test('searches images and videos on the simulation: three pages each, duplicates dropped, key sent', async () => {
  await withSimulation(source, async (t, sim) => {
    const images = await collect(source, { text: 'pig', type: 'image', limit: 10 }, t.ctx);
    assert.deepEqual(
      images.map((c) => c.id),
      ['pixabay:image:3386356', 'pixabay:image:242520', 'pixabay:image:3741880'],
    );
    assert.ok(images.every((c) => c.url.startsWith(`${sim.origins.pixabay}/__media/`)));
    assert.equal(images[0]!.pageUrl, 'https://pixabay.com/photos/piglet-mammal-species-fauna-3386356/');
    assert.deepEqual(sim.requests.pixabay, [
      '/api/?key=demo-pixabay-key&q=pig&image_type=all&per_page=15&page=1',
      '/api/?key=demo-pixabay-key&q=pig&image_type=all&per_page=15&page=2',
      '/api/?key=demo-pixabay-key&q=pig&image_type=all&per_page=15&page=3',
    ]);
    assert.deepEqual(t.rateLimits, [99, 98, 97]);
    sim.requests.pixabay!.length = 0;
    const videos = await collect(source, { text: 'pig', type: 'video', limit: 1 }, t.ctx);
    assert.deepEqual(
      videos.map((c) => [c.id, c.kind, c.width, c.height]),
      [
        ['pixabay:video:27669', 'video', 1920, 1080],
        ['pixabay:video:137546', 'video', 1906, 1080],
      ],
    );
    assert.deepEqual(
      sim.requests.pixabay!.map((r) => r.replace(/&page=\d+$/, '')),
      Array(3).fill('/api/videos/?key=demo-pixabay-key&q=pig&video_type=all&per_page=4'),
    );
  });
});

test('without PIXABAY_API_KEY: not configured, NotConfiguredError at once, no request', async () => {
  const sim = await startSimulation({ sources: ['pixabay'] });
  const t = makeContext(source, { PIXABAY_BASE_URL: sim.origins.pixabay! });
  try {
    assert.deepEqual(source.configured(t.ctx.config), { ok: false, reason: 'pixabay: needs PIXABAY_API_KEY' });
    const error = await searchError(source, { text: 'x' }, t.ctx);
    assert.ok(error instanceof NotConfiguredError);
    assert.equal(error.message, 'pixabay: needs PIXABAY_API_KEY');
    assert.deepEqual(sim.requests.pixabay, []);
  } finally {
    await t.close();
    await sim.close();
  }
});

test('a refused key is a BlockedError naming PIXABAY_API_KEY; page out of range ends; other 400s keep the key out of the error', async () => {
  let status = 400;
  let text = '[ERROR 400] Invalid or missing API key';
  await withFakeServer(
    source,
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(text);
    },
    { env: { PIXABAY_API_KEY: 'secret-key' } },
    async (t) => {
      const refused = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(refused instanceof BlockedError);
      assert.equal(
        refused.message,
        'pixabay: blocked: PIXABAY_API_KEY was refused (HTTP 400: [ERROR 400] Invalid or missing API key)',
      );
      text = '[ERROR 400] "page" is out of valid range.';
      assert.deepEqual(await collect(source, { text: 'x' }, t.ctx), []);
      text = '[ERROR 400] "q" is malformed.';
      const other = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(other instanceof HttpStatusError);
      assert.equal(other.status, 400);
      assert.doesNotMatch(other.url, /secret-key/);
      status = 403;
      text = 'forbidden';
      assert.ok((await searchError(source, { text: 'x' }, t.ctx)) instanceof BlockedError);
    },
  );
});

test('a long query is cut to the API maximum of 100 characters; an HTML page is a ParseError', async () => {
  await withFakeServer(
    source,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Cloudflare</body></html>');
    },
    { env: { PIXABAY_API_KEY: 'k' } },
    async (t, server) => {
      const error = await searchError(source, { text: 'é'.repeat(150) }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.match(error.message, /^pixabay: layout changed: .*not JSON/);
      assert.equal(new URL(server.requests[0]!, server.origin).searchParams.get('q'), 'é'.repeat(100));
    },
  );
});

test('a server that repeats one page is left after the page that adds nothing new', async () => {
  const recorded = fixtureJson('pixabay/images-search.json');
  await withFakeServer(
    source,
    (_req, res) => sendJson(res, recorded),
    { env: { PIXABAY_API_KEY: 'k' }, maxPages: 100 },
    async (t, server) => {
      assert.equal((await collect(source, { text: 'x', limit: 2 }, t.ctx)).length, 3);
      assert.equal(server.requests.length, 2);
    },
  );
});

test('a job through the real runner downloads every image and video once (type any)', async () => {
  const { doc, filesOnDisk } = await runJob('pixabay', { limit: 20, type: 'any' });
  assert.equal(doc.status, 'completed');
  const stats = doc.results.source_stats.pixabay!;
  assert.deepEqual(
    [stats.downloaded, stats.images, stats.videos, stats.failed_downloads, stats.pages],
    [5, 3, 2, 0, 4],
  );
  // Two pages of each kind, taken in turn; the runner's page cap for 20 files stops before the empty third pages.
  assert.deepEqual(doc.results.files.map((f) => f.candidate_id).sort(), [
    'pixabay:image:242520',
    'pixabay:image:3386356',
    'pixabay:image:3741880',
    'pixabay:video:137546',
    'pixabay:video:27669',
  ]);
  const plexus = doc.results.files.find((f) => f.candidate_id === 'pixabay:video:27669')!;
  assert.deepEqual(
    [plexus.kind, plexus.author, plexus.page_url],
    ['video', 'motionstock', 'https://pixabay.com/videos/id-27669/'],
  );
  assert.equal(filesOnDisk.length, 5);
});
