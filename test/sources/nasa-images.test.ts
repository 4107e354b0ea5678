import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import {
  nasaCandidate,
  nasaUrl,
  parseNasaAsset,
  parseNasaSearch,
  pickNasaFile,
  source,
} from '../../src/sources/nasa-images.ts';
import {
  collect,
  fixtureJson,
  runJob,
  searchError,
  sendJson,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';

const MOON = 'https://images-assets.nasa.gov/video/Moon%20and%20Saturn/Moon%20and%20Saturn';

test('hrefs: raw spaces and Unicode encoded once, http upgraded only on nasa.gov hosts', () => {
  assert.equal(
    nasaUrl('http://images-assets.nasa.gov/video/Moon and Saturn/Moon and Saturn~large.mp4'),
    `${MOON}~large.mp4`,
  );
  assert.equal(nasaUrl(`${MOON}~large.mp4`), `${MOON}~large.mp4`, 'already encoded: unchanged');
  assert.equal(
    nasaUrl('https://images-assets.nasa.gov/video/Saturn’s Moon – 2019/x #1?.jpg'),
    'https://images-assets.nasa.gov/video/Saturn%E2%80%99s%20Moon%20%E2%80%93%202019/x%20%231%3F.jpg',
  );
  assert.equal(nasaUrl('http://www.nasa.gov/a.jpg'), 'https://www.nasa.gov/a.jpg');
  assert.equal(nasaUrl('http://127.0.0.1:8080/__media/a b.jpg'), 'http://127.0.0.1:8080/__media/a%20b.jpg');
  assert.equal(nasaUrl('http://nasa.gov.example.com/a.jpg'), 'http://nasa.gov.example.com/a.jpg');
  assert.equal(nasaUrl('http://notnasa.gov/a.jpg'), 'http://notnasa.gov/a.jpg');
  assert.equal(nasaUrl('javascript:alert(1)'), undefined);
  assert.equal(nasaUrl('ftp://images-assets.nasa.gov/a.jpg'), undefined);
});

test('parses the recorded image search: the ~large link with its size, no asset request needed', () => {
  const page = parseNasaSearch(fixtureJson('nasa_images/search-image.json'));
  assert.equal(page.hasNext, false);
  assert.equal(page.items.length, 1);
  const item = page.items[0]!;
  assert.deepEqual(
    item.linkedFiles.map((f) => f.variant),
    ['medium', 'small', 'large', 'orig'],
  );
  assert.deepEqual(nasaCandidate(item, pickNasaFile(item.linkedFiles, 'image', 1080)!), {
    id: 'nasa_images:iss026-s-001',
    source: 'nasa_images',
    kind: 'image',
    url: 'https://images-assets.nasa.gov/image/iss026-s-001/iss026-s-001~large.jpg',
    width: 1920,
    height: 1884,
    bytes: 377000,
    title: 'iss026-s-001',
    pageUrl: 'https://images.nasa.gov/details/iss026-s-001',
    thumbnailUrl: 'https://images-assets.nasa.gov/image/iss026-s-001/iss026-s-001~thumb.jpg',
  });
});

test('parses the recorded video search and asset list: ~large mp4 at 1080, smaller renditions under lower caps', () => {
  const page = parseNasaSearch(fixtureJson('nasa_images/search-video.json'));
  assert.deepEqual(
    page.items.map((i) => [i.nasaId, i.kind, i.linkedFiles.length]),
    [
      ['Moon and Saturn', 'video', 0],
      [
        'NHQ_2019_0628_Announcing a New Mission to Saturn’s Largest Moon on This Week @NASA – June 28, 2019',
        'video',
        0,
      ],
    ],
  );
  assert.equal(
    page.items[1]!.thumbnailUrl,
    'https://images-assets.nasa.gov/video/NHQ_2019_0628_Announcing%20a%20New%20Mission%20to%20Saturn%E2%80%99s%20Largest%20Moon%20on%20This%20Week%20@NASA%20%E2%80%93%20June%2028,%202019/NHQ_2019_0628_Announcing%20a%20New%20Mission%20to%20Saturn%E2%80%99s%20Largest%20Moon%20on%20This%20Week%20@NASA%20%E2%80%93%20June%2028,%202019~thumb.jpg',
  );
  const files = parseNasaAsset(fixtureJson('nasa_images/asset-video.json'));
  assert.equal(files.length, 30, 'every href with a ~rendition (captions and metadata.json have none)');
  assert.deepEqual(nasaCandidate(page.items[0]!, pickNasaFile(files, 'video', 1080)!), {
    id: 'nasa_images:Moon and Saturn',
    source: 'nasa_images',
    kind: 'video',
    url: `${MOON}~large.mp4`,
    title: 'Orion Sees the Moon and Saturn',
    pageUrl: 'https://images.nasa.gov/details/Moon%20and%20Saturn',
    thumbnailUrl: `${MOON}~thumb.jpg`,
    mime: 'video/mp4',
  });
  assert.equal(pickNasaFile(files, 'video', 720)!.url, `${MOON}~medium.mp4`);
  assert.equal(pickNasaFile(files, 'video', 480)!.url, `${MOON}~small.mp4`);
  assert.equal(pickNasaFile(files, 'video', 360)!.url, `${MOON}~mobile.mp4`);
  assert.equal(pickNasaFile(files, 'video', 144), undefined);
  // Images from an asset list: ~large, then ~medium, then ~orig.
  const stills = parseNasaAsset(fixtureJson('nasa_images/asset-iss026-s-001.assembled.json'));
  assert.equal(
    pickNasaFile(stills, 'image', 1080)!.url,
    'https://images-assets.nasa.gov/image/iss026-s-001/iss026-s-001~large.jpg',
  );
  assert.equal(
    pickNasaFile(
      stills.filter((f) => f.variant !== 'large' && f.variant !== 'medium'),
      'image',
      1080,
    )!.variant,
    'orig',
  );
});

test('a search without collection.items, or an asset list without it, is a ParseError naming nasa_images', () => {
  assert.throws(
    () => parseNasaSearch({ reason: 'Invalid search' }),
    (e: unknown) =>
      e instanceof ParseError &&
      e.source === 'nasa_images' &&
      e.message ===
        'nasa_images: layout changed: no collection.items array and no collection.metadata.total_hits: 0; came an object with keys reason',
  );
  assert.throws(
    () => parseNasaAsset({ collection: {} }),
    /no collection.items array; came an object with keys collection/,
  );
  assert.throws(
    () => parseNasaSearch({ collection: { items: [{ data: [{ title: 'x' }] }] } }),
    /none of 1 items has data\[0\].nasa_id/,
  );
  assert.deepEqual(parseNasaSearch({ collection: { version: '1.0', items: [], metadata: { total_hits: 0 } } }), {
    items: [],
    hasNext: false,
  });
});

test('searches videos on the simulation: asset lists fetched lazily, a missing one skipped, paging by rel=next', async () => {
  await withSimulation(source, async (t, sim) => {
    const found = await collect(source, { text: 'saturn', type: 'video' }, t.ctx);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.id, 'nasa_images:Moon and Saturn');
    assert.equal(
      found[0]!.url,
      `${sim.origins.nasa_images}/__media/video/Moon%20and%20Saturn/Moon%20and%20Saturn~large.mp4`,
    );
    assert.deepEqual(
      sim.requests.nasa_images!.map((r) => r.replace(/^\/asset\/NHQ.*/, '/asset/NHQ…')),
      [
        '/search?q=saturn&media_type=video&page=1&page_size=15',
        '/asset/Moon%20and%20Saturn',
        '/search?q=saturn&media_type=video&page=2&page_size=15',
        '/asset/NHQ…',
        '/search?q=saturn&media_type=video&page=3&page_size=15',
      ],
    );
    assert.equal(t.pages(), 3, 'asset lists are not search pages');
    const media = await fetch(found[0]!.url);
    assert.equal(media.headers.get('content-type'), 'video/mp4');
  });
});

test('image and any searches on the simulation; the consumer stopping early leaves later asset lists unasked', async () => {
  await withSimulation(source, async (t, sim) => {
    const images = await collect(source, { text: 'iss', type: 'image' }, t.ctx);
    assert.deepEqual(
      images.map((c) => [c.id, c.width, c.height]),
      [['nasa_images:iss026-s-001', 1920, 1884]],
    );
    assert.ok(
      sim.requests.nasa_images!.every((r) => r.startsWith('/search?q=iss&media_type=image&')),
      'linked sizes need no asset list',
    );
    sim.requests.nasa_images!.length = 0;
    const any = await collect(source, { text: 'iss', type: 'any' }, t.ctx);
    assert.deepEqual(
      any.map((c) => c.kind),
      ['image', 'video'],
    );
    assert.match(sim.requests.nasa_images![0]!, /media_type=image%2Cvideo/);
    sim.requests.nasa_images!.length = 0;
    await collect(source, { text: 'iss', type: 'any' }, t.ctx, 1);
    assert.deepEqual(sim.requests.nasa_images, ['/search?q=iss&media_type=image%2Cvideo&page=1&page_size=15']);
  });
});

test('an older item with only a preview link gets its image from the asset list (http upgraded on nasa.gov)', async () => {
  const item = fixtureJson('nasa_images/item-iss026-s-001.v1-0.assembled.json');
  const asset = fixtureJson('nasa_images/asset-iss026-s-001.assembled.json');
  await withFakeServer(
    source,
    (_req, res, url) => {
      if (url.pathname === '/search')
        sendJson(res, { collection: { version: '1.0', items: url.searchParams.get('page') === '1' ? [item] : [] } });
      else if (url.pathname === '/asset/iss026-s-001') sendJson(res, asset);
      else sendJson(res, 'Not Found', 404);
    },
    async (t, server) => {
      const [c] = await collect(source, { text: 'iss026' }, t.ctx);
      assert.equal(c!.url, 'https://images-assets.nasa.gov/image/iss026-s-001/iss026-s-001~large.jpg');
      assert.equal(c!.width, undefined, 'asset lists carry no sizes');
      assert.deepEqual(server.requests, [
        '/search?q=iss026&media_type=image&page=1&page_size=15',
        '/asset/iss026-s-001',
      ]);
    },
  );
});

test('a changed asset list fails loudly; a repeated search page stops after two requests', async () => {
  const video = fixtureJson('nasa_images/search-video.json') as { collection: Record<string, unknown> };
  const repeated = {
    collection: {
      ...video.collection,
      links: [{ rel: 'next', prompt: 'Next', href: 'http://images-api.nasa.gov/search?page=2' }],
    },
  };
  let assetBody: unknown = { collection: { version: '1.0', files: [] } };
  await withFakeServer(
    source,
    (_req, res, url) => sendJson(res, url.pathname === '/search' ? repeated : assetBody),
    { maxPages: 40 },
    async (t, server) => {
      const error = await searchError(source, { text: 'x', type: 'video' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.equal(
        error.message,
        'nasa_images: layout changed: no collection.items array; came an object with keys collection',
      );
      assetBody = fixtureJson('nasa_images/asset-video.json');
      server.requests.length = 0;
      assert.equal((await collect(source, { text: 'x', type: 'video', limit: 100 }, t.ctx)).length, 2);
      assert.equal(server.requests.filter((r) => r.startsWith('/search')).length, 2);
    },
  );
});

test('a job through the real runner downloads the image and the video once; the item without an asset list is skipped', async () => {
  const { doc, filesOnDisk, requests } = await runJob('nasa_images', { limit: 10, type: 'any' });
  assert.equal(doc.status, 'completed');
  const stats = doc.results.source_stats.nasa_images!;
  assert.deepEqual(
    [stats.downloaded, stats.images, stats.videos, stats.failed_downloads, stats.pages],
    [2, 1, 1, 0, 3],
  );
  const moon = doc.results.files.find((f) => f.candidate_id === 'nasa_images:Moon and Saturn')!;
  assert.deepEqual([moon.kind, moon.title, moon.mime], ['video', 'Orion Sees the Moon and Saturn', 'video/mp4']);
  assert.ok(
    requests.includes('/__media/video/Moon%20and%20Saturn/Moon%20and%20Saturn~large.mp4'),
    'the raw href was encoded on the way',
  );
  assert.equal(filesOnDisk.length, 2);
});

test('a 403 on the search is a BlockedError; an HTML page instead of JSON is a ParseError', async () => {
  let status = 403;
  await withFakeServer(
    source,
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<html><body>Access Denied</body></html>');
    },
    async (t) => {
      const blocked = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(blocked instanceof BlockedError);
      assert.equal(blocked.message, 'nasa_images: blocked: HTTP 403: Access Denied');
      status = 200;
      const changed = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(changed instanceof ParseError);
      assert.match(changed.message, /^nasa_images: layout changed: .*not JSON/);
    },
  );
});
