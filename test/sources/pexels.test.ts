import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, NotConfiguredError, ParseError } from '../../src/core/errors.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import {
  parsePexelsPhotos,
  parsePexelsVideos,
  pexelsVideo,
  source,
  PEXELS_LICENSE,
  PEXELS_LICENSE_URL,
} from '../../src/sources/pexels.ts';
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

test('parses the recorded photo search exactly, \\u0026 escapes decoded, next_page seen', () => {
  const page = parsePexelsPhotos(fixtureJson('pexels/photos-search.json'));
  assert.equal(page.hasNext, true);
  assert.deepEqual(page.candidates, [
    {
      id: 'pexels:photo:14260470',
      source: 'pexels',
      kind: 'image',
      url: 'https://images.pexels.com/photos/14260470/pexels-photo-14260470.jpeg',
      width: 6210,
      height: 4140,
      title: 'A Silver Volkswagen Golf',
      pageUrl: 'https://www.pexels.com/photo/a-silver-volkswagen-golf-14260470/',
      thumbnailUrl:
        'https://images.pexels.com/photos/14260470/pexels-photo-14260470.jpeg?auto=compress&cs=tinysrgb&h=350',
      author: 'Sadi Gökpınar',
      license: PEXELS_LICENSE,
      licenseUrl: PEXELS_LICENSE_URL,
    },
  ]);
});

test('parses the older recorded laptop page (no alt) into six photos', () => {
  const page = parsePexelsPhotos(fixtureJson('pexels/photos-search.laptop-page1.json'));
  assert.equal(page.candidates.length, 6);
  assert.deepEqual(page.candidates[5], {
    id: 'pexels:photo:34088',
    source: 'pexels',
    kind: 'image',
    url: 'https://images.pexels.com/photos/34088/pexels-photo.jpg',
    width: 5472,
    height: 3648,
    pageUrl: 'https://www.pexels.com/photo/iphone-notebook-pen-working-34088/',
    thumbnailUrl: 'https://images.pexels.com/photos/34088/pexels-photo.jpg?auto=compress&cs=tinysrgb&h=350',
    author: 'Negative Space',
    license: PEXELS_LICENSE,
    licenseUrl: PEXELS_LICENSE_URL,
  });
});

test('parses the recorded video search exactly: a 1080×1920 portrait file counts as 1080p', () => {
  const page = parsePexelsVideos(fixtureJson('pexels/videos-search.json'), 1080);
  assert.equal(page.hasNext, true);
  assert.deepEqual(page.candidates, [
    {
      id: 'pexels:video:2834230',
      source: 'pexels',
      kind: 'video',
      url: 'https://videos.pexels.com/video-files/2834230/2834230-hd_1080_1920_15fps.mp4',
      width: 1080,
      height: 1920,
      mime: 'video/mp4',
      bytes: 1670224,
      pageUrl: 'https://www.pexels.com/video/a-pet-dog-on-a-couch-2834230/',
      thumbnailUrl:
        'https://images.pexels.com/videos/2834230/free-video-2834230.jpg?auto=compress&cs=tinysrgb&fit=crop&h=1200&w=630',
      author: 'Viktoria B.',
      license: PEXELS_LICENSE,
      licenseUrl: PEXELS_LICENSE_URL,
    },
    {
      id: 'pexels:video:4838318',
      source: 'pexels',
      kind: 'video',
      url: 'https://videos.pexels.com/video-files/4838318/4838318-hd_1080_1920_24fps.mp4',
      width: 1080,
      height: 1920,
      mime: 'video/mp4',
      bytes: 4595797,
      pageUrl: 'https://www.pexels.com/video/cute-puppy-sitting-on-a-stool-4838318/',
      thumbnailUrl:
        'https://images.pexels.com/videos/4838318/adorable-animal-cute-cute-puppy-4838318.jpeg?auto=compress&cs=tinysrgb&fit=crop&h=1200&w=630',
      author: 'Anna Shvets',
      license: PEXELS_LICENSE,
      licenseUrl: PEXELS_LICENSE_URL,
    },
  ]);
});

test('a cap of 720 picks the 720×1280 file; a cap below every file takes no file', () => {
  const recorded = fixtureJson('pexels/videos-search.json');
  assert.deepEqual(
    parsePexelsVideos(recorded, 720).candidates.map((c) => [c.url, c.width, c.height]),
    [
      ['https://videos.pexels.com/video-files/2834230/2834230-hd_720_1280_15fps.mp4', 720, 1280],
      ['https://videos.pexels.com/video-files/4838318/4838318-hd_720_1280_24fps.mp4', 720, 1280],
    ],
  );
  assert.equal(
    parsePexelsVideos(recorded, 2160).candidates[1]!.url,
    'https://videos.pexels.com/video-files/4838318/4838318-uhd_2160_3840_24fps.mp4',
  );
  // 240×426 is the smallest file: a 144p cap leaves nothing, and that is not a layout change.
  assert.deepEqual(parsePexelsVideos(recorded, 144).candidates, []);
});

test('an HLS entry with null width/height is never taken as the file', () => {
  const video = fixtureJson('pexels/video-2499611.json');
  assert.equal(
    pexelsVideo(video, 1080)!.url,
    'https://player.vimeo.com/external/342571552.hd.mp4?s=6aa6f164de3812abadff3dde86d19f7a074a8a66&profile_id=175&oauth2_token_id=57447761',
  );
  assert.equal(pexelsVideo(video, 360)!.width, 360);
  assert.equal(pexelsVideo(video, 200), undefined);
  // With only the playlist left there is nothing to save.
  const onlyHls = { ...(video as object), video_files: (video as { video_files: unknown[] }).video_files.slice(5) };
  assert.equal(pexelsVideo(onlyHls, 1080), undefined);
  // A file without sizes is taken when no file has any.
  const unsized = {
    id: 1,
    video_files: [{ file_type: 'video/mp4', width: null, height: null, link: 'https://videos.pexels.com/a.mp4' }],
  };
  assert.equal(pexelsVideo(unsized, 720)!.url, 'https://videos.pexels.com/a.mp4');
});

test('a page without the photos or videos array is a ParseError naming pexels', () => {
  assert.throws(
    () => parsePexelsPhotos({ page: 1, results: [] }),
    (e: unknown) => e instanceof ParseError && e.source === 'pexels' && /no photos array/.test(e.message),
  );
  assert.throws(() => parsePexelsVideos({ page: 1, photos: [] }, 1080), /pexels: layout changed: no videos array/);
  assert.throws(() => parsePexelsPhotos({ photos: [{ id: 1, source: {} }] }), /none of 1 photos/);
  // An empty but valid page is the end, not an error.
  assert.deepEqual(parsePexelsPhotos({ page: 9, per_page: 6, photos: [], total_results: 2735 }), {
    candidates: [],
    hasNext: false,
  });
});

test('searches photos on the simulation: 2 pages then an empty one, duplicates dropped, key and rate limit seen', async () => {
  await withSimulation(source, async (t, sim) => {
    const found = await collect(source, { text: 'laptop', type: 'image', limit: 10 }, t.ctx);
    assert.equal(found.length, 7, '6 on page 1, 1 new on page 2 (the other is a duplicate)');
    assert.equal(new Set(found.map((c) => c.id)).size, 7);
    assert.equal(found[6]!.id, 'pexels:photo:14260470');
    assert.ok(found.every((c) => c.kind === 'image' && c.url.startsWith(`${sim.origins.pexels}/__media/`)));
    assert.deepEqual(sim.requests.pexels, [
      '/v1/search?query=laptop&page=1&per_page=15',
      '/v1/search?query=laptop&page=2&per_page=15',
      '/v1/search?query=laptop&page=3&per_page=15',
    ]);
    assert.equal(t.pages(), 3);
    assert.deepEqual(t.rateLimits, [19999, 19998, 19997]);
    // The media the candidates point at is really served.
    const media = await fetch(found[0]!.url);
    assert.equal(media.headers.get('content-type'), 'image/png');
  });
});

test('requests the next page only when the consumer wants more, and respects maxPages', async () => {
  const sim = await startSimulation({ sources: ['pexels'] });
  const lazy = makeContext(source, sim.env);
  const capped = makeContext(source, sim.env, { maxPages: 1 });
  try {
    assert.equal((await collect(source, { text: 'laptop', limit: 3 }, lazy.ctx, 3)).length, 3);
    assert.equal(sim.requests.pexels!.length, 1);
    assert.equal((await collect(source, { text: 'laptop', limit: 100 }, capped.ctx)).length, 6);
    assert.equal(sim.requests.pexels!.length, 2);
    assert.match(sim.requests.pexels![1]!, /per_page=80$/, 'per_page is capped at the API maximum');
  } finally {
    await lazy.close();
    await capped.close();
    await sim.close();
  }
});

test('type video asks /videos/search only; type any takes a page of each in turn', async () => {
  const sim = await startSimulation({ sources: ['pexels'] });
  const videos = makeContext(source, sim.env);
  const any = makeContext(source, sim.env);
  try {
    const found = await collect(source, { text: 'dog', type: 'video', limit: 10 }, videos.ctx);
    assert.deepEqual(
      found.map((c) => c.id),
      ['pexels:video:2834230', 'pexels:video:4838318', 'pexels:video:2499611'],
    );
    assert.ok(found.every((c) => c.kind === 'video' && c.url.endsWith('.mp4')));
    assert.deepEqual(
      found.map((c) => [c.width, c.height]),
      [
        [1080, 1920],
        [1080, 1920],
        [1080, 1920],
      ],
    );
    assert.ok(sim.requests.pexels!.every((r) => r.startsWith('/videos/search?')));
    sim.requests.pexels!.length = 0;

    const mixed = await collect(source, { text: 'dog', type: 'any', limit: 10 }, any.ctx);
    assert.deepEqual(
      sim.requests.pexels!.map((r) => r.split('&')[0]!.split('?')[0]! + ' ' + /page=(\d+)/.exec(r)![1]),
      ['/v1/search 1', '/videos/search 1', '/v1/search 2', '/videos/search 2', '/v1/search 3', '/videos/search 3'],
    );
    assert.equal(mixed.filter((c) => c.kind === 'video').length, 3);
    assert.equal(mixed.filter((c) => c.kind === 'image').length, 7);
    assert.match(sim.requests.pexels![0]!, /per_page=9$/, 'each kind asks for half of the limit (5) plus slack');
  } finally {
    await videos.close();
    await any.close();
    await sim.close();
  }
});

test('without PEXELS_API_KEY it is not configured and fails at once without a request', async () => {
  const sim = await startSimulation({ sources: ['pexels'] });
  const t = makeContext(source, { PEXELS_BASE_URL: sim.origins.pexels! });
  try {
    assert.deepEqual(source.configured(t.ctx.config), { ok: false, reason: 'pexels: needs PEXELS_API_KEY' });
    const error = await searchError(source, { text: 'x' }, t.ctx);
    assert.ok(error instanceof NotConfiguredError);
    assert.equal(error.message, 'pexels: needs PEXELS_API_KEY');
    assert.deepEqual(sim.requests.pexels, []);
    // The simulation, like the live API, refuses a request without the header.
    assert.equal((await fetch(`${sim.origins.pexels}/v1/search?query=x`)).status, 401);
  } finally {
    await t.close();
    await sim.close();
  }
});

test('a refused key (403 with the recorded body) is a BlockedError naming PEXELS_API_KEY', async () => {
  await withFakeServer(
    source,
    (_req, res) => sendJson(res, { error: 'Access to this API has been disallowed' }, 403),
    { env: { PEXELS_API_KEY: 'bad-key' } },
    async (t, server) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof BlockedError);
      assert.equal(
        error.message,
        'pexels: blocked: PEXELS_API_KEY was refused (HTTP 403: Access to this API has been disallowed)',
      );
      assert.equal(server.headers[0]!.authorization, 'bad-key');
      assert.equal(server.requests.length, 1, 'a refused key is not retried');
    },
  );
});

test('a changed layout or an HTML page is a ParseError, not a TypeError or a silent zero', async () => {
  let body = '{"page":1,"media":[]}';
  await withFakeServer(
    source,
    (_req, res) => sendJson(res, body),
    { env: { PEXELS_API_KEY: 'k' } },
    async (t) => {
      let error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.equal(
        error.message,
        'pexels: layout changed: no photos array and no total_results: 0; came an object with keys page, media',
      );
      body = '<!doctype html><html><body>maintenance</body></html>';
      error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.match(error.message, /^pexels: layout changed: .*not JSON/);
    },
  );
});

test('a server that always answers the same page is left after the page that adds nothing new', async () => {
  const recorded = fixtureJson('pexels/photos-search.laptop-page1.json');
  await withFakeServer(
    source,
    (_req, res) => sendJson(res, recorded),
    { env: { PEXELS_API_KEY: 'k' }, maxPages: 50 },
    async (t, server) => {
      const found = await collect(source, { text: 'laptop', limit: 500 }, t.ctx);
      assert.equal(found.length, 6);
      assert.equal(server.requests.length, 2);
    },
  );
});

test('a job through the real runner downloads every photo and video once, with attribution attached', async () => {
  const images = await runJob('pexels', { limit: 50, type: 'image' });
  assert.equal(images.doc.status, 'completed');
  const stats = images.doc.results.source_stats.pexels!;
  assert.deepEqual(
    [stats.downloaded, stats.found, stats.failed_downloads, stats.pages, stats.rate_limit_remaining],
    [7, 7, 0, 3, 19997],
  );
  assert.deepEqual(images.doc.results.files.map((f) => f.candidate_id).sort(), [
    'pexels:photo:1229861',
    'pexels:photo:14260470',
    'pexels:photo:18105',
    'pexels:photo:238118',
    'pexels:photo:34088',
    'pexels:photo:374074',
    'pexels:photo:461077',
  ]);
  const golf = images.doc.results.files.find((f) => f.candidate_id === 'pexels:photo:14260470')!;
  assert.deepEqual(
    [golf.kind, golf.title, golf.author, golf.page_url],
    [
      'image',
      'A Silver Volkswagen Golf',
      'Sadi Gökpınar',
      'https://www.pexels.com/photo/a-silver-volkswagen-golf-14260470/',
    ],
  );
  assert.equal(images.filesOnDisk.length, 7);

  const videos = await runJob('pexels', { limit: 10, type: 'video' });
  assert.equal(videos.doc.status, 'completed');
  assert.deepEqual(videos.doc.results.files.map((f) => [f.candidate_id, f.kind, f.mime]).sort(), [
    ['pexels:video:2499611', 'video', 'video/mp4'],
    ['pexels:video:2834230', 'video', 'video/mp4'],
    ['pexels:video:4838318', 'video', 'video/mp4'],
  ]);
  assert.equal(videos.doc.results.videos, 3);
});

test('a 429 is retried by the client with Retry-After and the search goes on', async () => {
  const recorded = fixtureJson('pexels/photos-search.json');
  let calls = 0;
  await withFakeServer(
    source,
    (_req, res) => {
      calls++;
      if (calls === 1) sendJson(res, { status: 429, error: 'Too Many Requests' }, 429, { 'retry-after': '0' });
      else sendJson(res, { ...(recorded as object), next_page: undefined }, 200, { 'x-ratelimit-remaining': '0' });
    },
    { env: { PEXELS_API_KEY: 'k', MAX_RETRIES_PER_SOURCE: '1' } },
    async (t, server) => {
      assert.deepEqual(
        (await collect(source, { text: 'x' }, t.ctx)).map((c) => c.id),
        ['pexels:photo:14260470'],
      );
      assert.equal(server.requests.length, 2);
      assert.deepEqual(t.rateLimits, [0]);
    },
  );
});
