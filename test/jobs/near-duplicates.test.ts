// The keep decision on real image files hashed by sharp: copies of one picture judged at the same
// time keep exactly one; a filtered file is not also a near-duplicate; hashes of earlier runs
// (resume) count as kept; a released claim lets the next copy in; `get` jobs and
// NEAR_DUPLICATE_DISTANCE=-1 hash nothing; of the copies of a picture known before download
// (thumbnails hashed first, served by a real HTTP server) the best one downloads.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/core/config.ts';
import { licenseRank, normalizeLicense } from '../../src/core/license.ts';
import type { JobSpec, MediaCandidate } from '../../src/core/types.ts';
import { makePicture } from '../../src/demo/media.ts';
import { createHttpClient } from '../../src/http/client.ts';
import { judgeFile } from '../../src/jobs/judge-file.ts';
import { isBetter, NearDuplicates } from '../../src/jobs/near-duplicates.ts';

const dir = mkdtempSync(join(tmpdir(), 'harvester-near-dup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SEARCH: JobSpec = { query: 'fox', sources: ['openverse', 'pexels'], limit: 10, type: 'image' };
const config = loadConfig({}, {});
const warnings: string[] = [];
const warn = (message: string): void => void warnings.push(message);

function file(
  key: string,
  width: number,
  height: number,
): { kind: 'image'; width: number; height: number; partPath: string } {
  const partPath = join(dir, `${key}-${width}x${height}.part`);
  writeFileSync(partPath, makePicture(key, width, height));
  return { kind: 'image', width, height, partPath };
}

test('copies of one picture finishing at once: exactly one is kept, other pictures all are', async () => {
  const job = { filters: null, nearDuplicates: new NearDuplicates(SEARCH, config, []), warn };
  const copies = [
    [320, 240],
    [640, 480],
    [160, 120],
    [800, 600],
    [400, 300],
    [1024, 768],
  ].map(([w, h]) => file('red-fox', w!, h!));
  const others = ['owl', 'wolf', 'hare'].map((k) => file(k, 320, 240));
  const judged = await Promise.all([...copies, ...others].map((f) => judgeFile(job, f)));
  const ofCopies = judged.slice(0, copies.length);
  assert.equal(ofCopies.filter((j) => j.status === 'keep').length, 1, JSON.stringify(ofCopies));
  assert.equal(ofCopies.filter((j) => j.status === 'near_duplicate').length, copies.length - 1);
  for (const j of judged.slice(copies.length)) {
    assert.equal(j.status, 'keep');
    assert.match(j.status === 'keep' ? (j.phash ?? '') : '', /^[0-9a-f]{16}$/);
  }
  assert.deepEqual(warnings, []);
});

test('a filtered file is only filtered; a released claim lets the next copy in; resumed hashes count', async () => {
  const big = file('lynx', 640, 480);
  const small = file('lynx', 200, 150);
  const nearDuplicates = new NearDuplicates(SEARCH, config, []);
  const filtered = { filters: { min_width: 300 }, nearDuplicates, warn };
  assert.deepEqual(await judgeFile(filtered, small), { status: 'filtered', reason: 'min_width' });
  const kept = await judgeFile(filtered, big);
  assert.equal(kept.status, 'keep');
  const phash = kept.status === 'keep' ? kept.phash! : '';
  assert.deepEqual(await judgeFile({ ...filtered, filters: null }, small), { status: 'near_duplicate' });
  // The kept file's saving failed afterwards: its claim is released.
  nearDuplicates.release(phash);
  assert.equal((await judgeFile({ ...filtered, filters: null }, small)).status, 'keep');

  // A resumed job starts from the hashes of the files it already has.
  const resumed = new NearDuplicates(SEARCH, config, [null, phash]);
  assert.deepEqual(await judgeFile({ filters: null, nearDuplicates: resumed, warn }, small), {
    status: 'near_duplicate',
  });
});

test('keep-near-duplicates still hashes; get jobs and NEAR_DUPLICATE_DISTANCE=-1 do not', async () => {
  const a = file('heron', 320, 240);
  const b = file('heron', 640, 480);
  const keep = new NearDuplicates({ ...SEARCH, keepNearDuplicates: true }, config, []);
  assert.equal(keep.hashing, true);
  assert.equal(keep.removing, false);
  for (const f of [a, b]) {
    const j = await judgeFile({ filters: null, nearDuplicates: keep, warn }, f);
    assert.equal(j.status, 'keep');
    assert.notEqual(j.status === 'keep' ? j.phash : null, null);
  }
  const get = new NearDuplicates({ ...SEARCH, sources: ['urls'] }, config, []);
  const off = new NearDuplicates(SEARCH, loadConfig({ NEAR_DUPLICATE_DISTANCE: '-1' }, {}), []);
  for (const nd of [get, off]) {
    assert.equal(nd.hashing, false);
    for (const f of [a, b]) {
      assert.deepEqual(await judgeFile({ filters: null, nearDuplicates: nd, warn }, f), {
        status: 'keep',
        phash: null,
        width: f.width,
        height: f.height,
      });
    }
  }
  assert.throws(() => loadConfig({ NEAR_DUPLICATE_DISTANCE: '65' }, {}), /NEAR_DUPLICATE_DISTANCE="65" is invalid/);
});

test('the indexed look-up answers as a comparison with every kept hash would (distances 0 to 12)', () => {
  let seed = 0x2545f491;
  const random32 = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const hex = (h: number, l: number): string => h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
  const bits = (a: string, b: string): number => {
    let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
    let n = 0;
    for (; x > 0n; x &= x - 1n) n++;
    return n;
  };
  for (const distance of [0, 1, 4, 7, 8, 12]) {
    const cfg = loadConfig({ NEAR_DUPLICATE_DISTANCE: String(distance) }, {});
    const seeded = Array.from({ length: 300 }, () => hex(random32(), random32()));
    const index = new NearDuplicates(SEARCH, cfg, seeded);
    const kept = [...seeded];
    for (let i = 0; i < 600; i++) {
      // Half the probes are a kept hash with a few bits flipped (near or just past the distance).
      let probe = hex(random32(), random32());
      if (i % 2 === 0) {
        const [h, l] = [
          Number.parseInt(kept[i % kept.length]!.slice(0, 8), 16),
          Number.parseInt(kept[i % kept.length]!.slice(8), 16),
        ];
        let fh = h;
        let fl = l;
        for (let f = 0; f < (i >> 1) % (distance + 3); f++) {
          const bit = random32() % 64;
          if (bit < 32) fh ^= 1 << bit;
          else fl ^= 1 << (bit - 32);
        }
        probe = hex(fh >>> 0, fl >>> 0);
      }
      const expected = !kept.some((k) => bits(k, probe) <= distance);
      assert.equal(index.claim(probe), expected, `distance ${distance}, probe ${probe}`);
      if (expected) kept.push(probe);
    }
  }
});

// ---- The best copy of a picture known before download (thumbnails first) ----

/** A thumbnail server: `/<key>.png` is that picture, small; anything else is a 404. */
async function thumbnailServer(): Promise<{ origin: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const key = /^\/(\w[\w-]*)\.png$/.exec(req.url ?? '')?.[1];
    if (key === undefined) {
      res.writeHead(404).end();
      return;
    }
    const body = makePicture(key.replace(/-\d+$/, ''), 96, 72);
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('the best copy known before download is the one downloaded: larger first, then the better licence', async () => {
  const thumbs = await thumbnailServer();
  const http = createHttpClient(loadConfig({ ALLOW_PRIVATE_NETWORKS: 'true' }, {}));
  const never = new AbortController().signal;
  const candidate = (id: string, picture: string, width: number, height: number, license?: string): MediaCandidate => ({
    id,
    source: 'openverse',
    kind: 'image',
    url: `${thumbs.origin}/files/${id}.png`,
    thumbnailUrl: `${thumbs.origin}/${picture}-${id.length}.png`,
    width,
    height,
    ...(license !== undefined ? { license } : {}),
  });
  try {
    const nd = new NearDuplicates(SEARCH, config, []);
    // A small copy starts downloading; a larger copy of the same picture cuts it and downloads.
    const small = await nd.enter(http, candidate('a', 'otter', 640, 480, 'CC BY 4.0'), never);
    assert.ok(small !== null && small !== 'near_duplicate');
    assert.equal(await small.turn(never), 'download');
    const large = await nd.enter(http, candidate('bb', 'otter', 1920, 1440), never);
    assert.ok(large !== null && large !== 'near_duplicate');
    assert.equal(await large.turn(never), 'download');
    assert.equal(small.superseded, true, 'the smaller copy’s download is cut');
    small.settle('superseded');
    const smallTurn = small.turn(never);
    // A third, smaller copy waits too; another picture is not held up.
    const tiny = await nd.enter(http, candidate('ccc', 'otter', 400, 300, 'CC0'), never);
    assert.ok(tiny !== null && tiny !== 'near_duplicate');
    const tinyTurn = tiny.turn(never);
    const other = await nd.enter(http, candidate('dddd', 'badger', 640, 480), never);
    assert.ok(other !== null && other !== 'near_duplicate');
    assert.equal(await other.turn(never), 'download');
    // The larger copy is saved: the waiting copies are near-duplicates, never downloaded.
    large.settle('has_picture');
    assert.equal(await smallTurn, 'near_duplicate');
    assert.equal(await tinyTurn, 'near_duplicate');
    for (const c of [small, tiny, large]) c.drop();

    // Equal sizes: the better licence. A public-domain copy cuts a stock-licensed one's download.
    const stock = await nd.enter(http, candidate('s1', 'heron', 800, 600, 'Pexels License'), never);
    assert.ok(stock instanceof Object);
    assert.equal(await stock.turn(never), 'download');
    const free = await nd.enter(http, candidate('s22', 'heron', 800, 600, 'Public domain'), never);
    assert.ok(free instanceof Object);
    assert.equal(await free.turn(never), 'download');
    assert.equal(stock.superseded, true);
    stock.settle('superseded');
    const stockTurn = stock.turn(never);
    // Copies that arrive while the best downloads wait, worse ones are never started; when its
    // download fails the next best (CC BY-SA over no licence information) gets its turn.
    const waiting = [];
    for (const [i, license] of [undefined, 'CC BY-SA 4.0'].entries()) {
      const c = await nd.enter(http, candidate(`t${'x'.repeat(i)}`, 'heron', 800, 600, license), never);
      assert.ok(c instanceof Object);
      waiting.push({ copy: c, turn: c.turn(never) });
    }
    free.settle('not_saved');
    free.drop();
    assert.equal(await waiting[1]!.turn, 'download');
    for (const c of [stock, waiting[0]!.copy]) assert.equal(c.superseded, false);
    waiting[1]!.copy.settle('has_picture');
    waiting[1]!.copy.drop();
    assert.deepEqual(await Promise.all([stockTurn, waiting[0]!.turn]), ['near_duplicate', 'near_duplicate']);

    // A copy whose source's deadline fires while it waits is cut, and leaves the group.
    const first = await nd.enter(http, candidate('f1', 'lynx', 800, 600), never);
    const late = await nd.enter(http, candidate('f22', 'lynx', 400, 300), never);
    assert.ok(first instanceof Object && late instanceof Object);
    assert.equal(await first.turn(never), 'download');
    const deadline = new AbortController();
    const lateTurn = late.turn(deadline.signal);
    deadline.abort();
    assert.equal(await lateTurn, 'cut');
    late.drop();

    // Once a file of the picture is kept, a thumbnail that shows it is enough: no download at all.
    const kept = await judgeFile({ filters: null, nearDuplicates: nd, warn }, file('kingfisher', 640, 480));
    assert.equal(kept.status, 'keep');
    assert.equal(await nd.enter(http, candidate('g', 'kingfisher', 4000, 3000), never), 'near_duplicate');

    // No thumbnail first: a missing thumbnail, a video, a file declared thumbnail-sized, keep-near-duplicates.
    assert.equal(
      await nd.enter(http, { ...candidate('h', 'x', 800, 600), thumbnailUrl: `${thumbs.origin}/nope` }, never),
      null,
    );
    assert.equal(nd.thumbnailFirst({ ...candidate('i', 'x', 800, 600), kind: 'video' }), false);
    assert.equal(nd.thumbnailFirst(candidate('j', 'x', 300, 200)), false);
    assert.equal(nd.thumbnailFirst({ ...candidate('k', 'x', 800, 600), width: undefined }), true);
    const keep = new NearDuplicates({ ...SEARCH, keepNearDuplicates: true }, config, []);
    assert.equal(keep.thumbnailFirst(candidate('l', 'x', 800, 600)), false);
  } finally {
    await http.close();
    await thumbs.close();
  }
});

test('licence ranks: public domain and CC0, then CC by conditions, then stock licences, then none', () => {
  const rank = (text: string | null, url?: string) => licenseRank(normalizeLicense(text, url));
  const ordered = [
    rank('CC0 1.0'),
    rank('CC BY 4.0'),
    rank('CC BY-SA 4.0'),
    rank('GFDL'),
    rank('CC BY-ND 4.0'),
    rank('CC BY-NC 4.0'),
    rank('CC BY-NC-SA 4.0'),
    rank('CC BY-NC-ND 4.0'),
    rank('Unsplash License'),
    rank(null),
  ];
  assert.equal(rank('Public domain'), rank('CC0'));
  assert.equal(rank('Pexels License'), rank(null, 'https://pixabay.com/service/license-summary/'));
  for (let i = 1; i < ordered.length; i++) assert.ok(ordered[i - 1]! > ordered[i]!, `rank ${i}: ${ordered.join(' ')}`);
  assert.ok(isBetter({ area: 2, licenseRank: 0 }, { area: 1, licenseRank: 10 }), 'size first');
  assert.ok(isBetter({ area: 1, licenseRank: 9 }, { area: 1, licenseRank: 8 }));
  assert.ok(!isBetter({ area: 1, licenseRank: 8 }, { area: 1, licenseRank: 8 }));
});
