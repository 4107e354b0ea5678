// Filters and near-duplicates through the real CLI over the simulated sources: the same picture
// at two sizes from two sources (different bytes) is kept once; pictures fail each filter before
// download (on what the candidate claims) and after it (on the file's real size, whatever the
// candidate claimed), and leave nothing on disk; `--license open|commercial` over every licence
// each source gives; the summary and the REMOVED log line say what was removed.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { licenseAllowed, normalizeLicense } from '../../src/core/license.ts';
import { SOURCE_IDS, type JobDocument, type SourceId } from '../../src/core/types.ts';
import { makePicture } from '../../src/demo/media.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { mp4WithSize, webmWithSize } from '../helpers/video-files.ts';
import { assertDiskAgrees, cliEnv, listFiles, mediaFiles, runCli } from './cli-harness.ts';

const png = (key: string, width: number, height: number) => ({
  body: makePicture(key, width, height),
  type: 'image/png',
});

test('the same picture at two sizes from two sources is kept once; the other copy is a near-duplicate', async () => {
  // Every image (and thumbnail) either source serves is one picture: large from openverse, small from pexels.
  const sim = await startSimulation({
    sources: ['openverse', 'pexels'],
    media: (name, source) => (source === 'openverse' ? png('red-fox', 320, 240) : png('red-fox', 160, 120)),
  });
  const e = cliEnv({ ...sim.env, MAX_DOWNLOADS_PER_SOURCE: '1' });
  try {
    const r = await runCli(['search', 'fox', '--sources', 'openverse,pexels', '--limit', '1', '--json'], e);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.equal(doc.results.files.length, 1, 'one copy of the picture is kept');
    const kept = doc.results.files[0]!;
    assert.match(kept.phash ?? '', /^[0-9a-f]{16}$/);
    const loser = kept.source === 'openverse' ? 'pexels' : 'openverse';
    const lost = doc.results.source_stats[loser]!;
    assert.equal(lost.downloaded, 0);
    assert.ok(lost.near_duplicates >= 1, `${loser} counted its copies as near-duplicates`);
    assert.equal(lost.filtered, 0, 'near-duplicates are not counted as filtered');
    assert.equal(
      doc.results.near_duplicates,
      lost.near_duplicates + doc.results.source_stats[kept.source]!.near_duplicates,
    );
    assert.equal(doc.results.query_stats.fox!.near_duplicates, doc.results.near_duplicates);
    // Once a picture is kept, a candidate whose thumbnail shows it is not downloaded at all.
    const fullDownloads = (sim.requests[loser] ?? []).filter(
      (u) => u.startsWith('/__media/') && !/thumb|compress/.test(u),
    ).length;
    assert.ok(
      fullDownloads < lost.near_duplicates,
      `${loser}: ${fullDownloads} downloads for ${lost.near_duplicates} near-duplicates`,
    );
    assertDiskAgrees(e, doc);
    assert.equal(mediaFiles(e.downloadDir).length, 1, 'no dropped copy left on disk');
    assert.ok(!listFiles(e.downloadDir).some((f) => f.endsWith('.part')));
    // The manifests carry the hash.
    const manifest = JSON.parse(readFileSync(join(e.downloadDir, 'fox', 'manifest.json'), 'utf8')) as {
      files: { phash: string | null }[];
    };
    assert.equal(manifest.files[0]!.phash, kept.phash);
    assert.match(r.stderr, new RegExp(`Removed: Filtered: 0 \\| Near-duplicates: ${doc.results.near_duplicates}`));
    // Per source, under the total: the source whose copies were dropped.
    assert.match(r.stderr, new RegExp(`\\n  ${loser}: filtered 0, near-duplicates ${lost.near_duplicates}\\n`));
    const log = readFileSync(join(e.env.LOG_DIR!, 'download_errors.log'), 'utf8');
    assert.match(log, new RegExp(`REMOVED \\| Filtered: 0 \\| Near-duplicates: ${doc.results.near_duplicates}`));

    // --keep-near-duplicates keeps both copies; NEAR_DUPLICATE_DISTANCE=-1 does not hash at all.
    const keep = await runCli(
      [
        'search',
        'fox',
        '--sources',
        'openverse,pexels',
        '--limit',
        '1',
        '--keep-near-duplicates',
        '--no-archive',
        '--json',
      ],
      e,
    );
    assert.equal(keep.code, 0, keep.stderr);
    const both = JSON.parse(keep.stdout) as JobDocument;
    assert.equal(both.results.files.length, 2);
    assert.equal(both.results.near_duplicates, 0);
    for (const f of both.results.files) assert.match(f.phash ?? '', /^[0-9a-f]{16}$/, 'kept copies are still hashed');
    const off = await runCli(
      ['search', 'fox', '--sources', 'openverse,pexels', '--limit', '1', '--no-archive', '--json'],
      {
        ...e,
        env: { ...e.env, NEAR_DUPLICATE_DISTANCE: '-1' },
      },
    );
    assert.equal(off.code, 0, off.stderr);
    const unhashed = JSON.parse(off.stdout) as JobDocument;
    assert.equal(unhashed.results.files.length, 2);
    for (const f of unhashed.results.files) assert.equal(f.phash, null);
  } finally {
    e.cleanup();
    await sim.close();
  }
});

test('filters apply to the claim before download and to the real file after it; failing files leave nothing', async () => {
  // Openverse's recorded candidates claim 960×623, 1000×1000, 1240×1263 and 6016×4016. Two lie:
  // the square one is 500×500, the large landscape one is a portrait 800×1200.
  const served: Record<string, [number, number]> = {
    City_of_Duhok: [960, 623],
    '3550230400': [500, 500],
    Duhok_in_Iraq: [1240, 1263],
    XNVBVXO3B7: [800, 1200],
  };
  const sim = await startSimulation({
    sources: ['openverse'],
    media: (name) => {
      // Thumbnails come from api.openverse.org; the files from their own hosts.
      const key = Object.keys(served).find((k) => name.includes(k) && !name.includes('api-openverse'));
      return key === undefined ? undefined : png(key, ...served[key]!);
    },
  });
  const downloaded = (key: string) =>
    (sim.requests.openverse ?? []).some(
      (u) => u.startsWith('/__media/') && u.includes(key) && !u.includes('api-openverse'),
    );
  const e = cliEnv({ ...sim.env });
  try {
    const r = await runCli(
      ['search', 'duhok', '--sources', 'openverse', '--min-width', '900', '--min-height', '700', '--json'],
      e,
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.deepEqual(
      doc.results.files.map((f) => [f.width, f.height]),
      [[1240, 1263]],
      'only the picture that really is large enough is kept',
    );
    const s = doc.results.source_stats.openverse!;
    assert.equal(s.filtered, 3);
    assert.deepEqual(s.filtered_reasons, { min_width: 2, min_height: 1, orientation: 0, license: 0 });
    assert.equal(doc.results.filtered, 3);
    assert.deepEqual(doc.results.query_stats.duhok!.filtered_reasons, s.filtered_reasons);
    assert.equal(downloaded('City_of_Duhok'), false, 'too low by its claim: never downloaded');
    assert.equal(downloaded('3550230400'), true, 'claims 1000 px, checked on the file: 500 px');
    assert.equal(downloaded('XNVBVXO3B7'), true);
    assertDiskAgrees(e, doc);
    assert.equal(mediaFiles(e.downloadDir).length, 1, 'files that failed a filter are removed');
    assert.ok(!listFiles(e.downloadDir).some((f) => f.endsWith('.part')));
    assert.match(r.stderr, /Removed: Filtered: 3 \(min_width 2, min_height 1\) \| Near-duplicates: 0/);
    assert.match(r.stderr, /\n {2}openverse: filtered 3 \(min_width 2, min_height 1\), near-duplicates 0\n/);
    // `harvester job` says the same afterwards.
    const shown = await runCli(['job', doc.job_id], e);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /Removed: Filtered: 3 \(min_width 2, min_height 1\) \| Near-duplicates: 0\n {2}openverse: filtered 3/,
    );
    const log = readFileSync(join(e.env.LOG_DIR!, 'download_errors.log'), 'utf8');
    assert.match(log, /REMOVED \| Filtered: 3 \(min_width 2, min_height 1\) \| Near-duplicates: 0/);

    const o = await runCli(
      ['search', 'duhok', '--sources', 'openverse', '--orientation', 'landscape', '--no-archive', '--json'],
      e,
    );
    assert.equal(o.code, 0, o.stderr);
    const landscape = JSON.parse(o.stdout) as JobDocument;
    assert.deepEqual(
      landscape.results.files.map((f) => [f.width, f.height]),
      [[960, 623]],
    );
    // Square and portrait by their claims; the landscape claim that is a portrait file after download.
    assert.equal(landscape.results.filtered_reasons.orientation, 3);
    assert.equal(
      landscape.results.files.every((f) => f.width! > f.height!),
      true,
    );
  } finally {
    e.cleanup();
    await sim.close();
  }
});

test('--license open and commercial over every licence each source gives', async () => {
  const sim = await startSimulation({});
  const e = cliEnv({ ...sim.env });
  try {
    for (const requirement of ['open', 'commercial'] as const) {
      const r = await runCli(
        [
          'search',
          'nature',
          '--sources',
          SOURCE_IDS.join(','),
          '--limit',
          '3',
          '--license',
          requirement,
          '--no-archive',
          '--json',
        ],
        e,
        120_000,
      );
      assert.ok(r.code === 0 || r.code === 3, r.stderr);
      const doc = JSON.parse(r.stdout) as JobDocument;
      for (const f of doc.results.files) {
        assert.ok(
          licenseAllowed(requirement, normalizeLicense(f.license, f.license_url)),
          `${requirement}: ${f.source} kept ${JSON.stringify(f.license)} ${f.license_url}`,
        );
      }
      const byLicence = (ids: SourceId[]) => ids.map((id) => doc.results.source_stats[id]!);
      // Scraped engines give no licence: everything they found is excluded, before any download.
      for (const s of byLicence(['google_images', 'bing_images', 'yandex_images', 'duckduckgo_images'])) {
        assert.equal(s.downloaded, 0);
        assert.equal(s.filtered_reasons.license, s.found);
      }
      const own = byLicence(['unsplash', 'pexels', 'pixabay']);
      if (requirement === 'open') {
        // Their own licences allow reuse but are not Creative Commons or public domain.
        for (const s of own) assert.equal(s.downloaded, 0);
        assert.ok(doc.results.source_stats.openverse!.downloaded > 0, 'Creative Commons pictures are kept');
      } else {
        for (const s of own) assert.ok(s.downloaded > 0, 'their licences allow commercial use');
      }
      assert.equal(doc.results.filtered, doc.results.filtered_reasons.license);
      assert.ok(doc.results.filtered > 0);
    }
  } finally {
    e.cleanup();
    await sim.close();
  }
});

test('videos are measured from their container header: real sizes recorded, size filters on them', async () => {
  // Each video the simulated sources serve, with its real size (a header built as the format says).
  const videos: [string, () => Buffer][] = [
    ['2834230', () => mp4WithSize('2834230', 1920, 1080, { rotate90: true })], // a portrait phone video
    ['4838318', () => mp4WithSize('4838318', 960, 540, { rotate90: true, moovLast: true })], // claims 1080×1920
    ['342571552', () => mp4WithSize('342571552', 1280, 720)],
    ['365224683_small', () => mp4WithSize('365224683', 640, 360, { version1: true })],
    ['766917889_large', () => mp4WithSize('766917889', 1920, 1080, { audioFirst: true })],
    ['Big_Buck_Bunny', () => webmWithSize('bunny', 1920, 1080, { live: true })],
    ['Moon and Saturn', () => mp4WithSize('moon', 1280, 720)],
  ];
  const real = new Map<string, [number, number]>();
  const sim = await startSimulation({
    sources: ['pexels', 'pixabay', 'wikimedia_commons', 'nasa_images'],
    media: (name) => {
      const found = videos.find(([key]) => name.includes(key));
      if (found === undefined) return undefined;
      const body = found[1]();
      return { body, type: found[0] === 'Big_Buck_Bunny' ? 'video/webm' : 'video/mp4' };
    },
  });
  const e = cliEnv({ ...sim.env });
  const sources = 'pexels,pixabay,wikimedia_commons,nasa_images';
  try {
    // Without filters: every video's real size is recorded.
    const all = await runCli(['search', 'ocean', '--sources', sources, '--type', 'video', '--limit', '3', '--json'], e);
    assert.equal(all.code, 0, all.stderr);
    const doc = JSON.parse(all.stdout) as JobDocument;
    assert.equal(doc.results.videos, 7);
    assertDiskAgrees(e, doc);
    for (const f of doc.results.files) real.set(f.url, [f.width!, f.height!]);
    const sizeOf = (key: string) => [...real].find(([url]) => decodeURIComponent(url).includes(key))?.[1];
    assert.deepEqual(sizeOf('2834230'), [1080, 1920]);
    assert.deepEqual(sizeOf('4838318'), [540, 960]);
    assert.deepEqual(sizeOf('342571552'), [1280, 720]);
    assert.deepEqual(sizeOf('365224683_small'), [640, 360]);
    assert.deepEqual(sizeOf('766917889_large'), [1920, 1080]);
    assert.deepEqual(sizeOf('Big_Buck_Bunny'), [1920, 1080]);
    assert.deepEqual(sizeOf('Moon and Saturn'), [1280, 720]);
    assert.ok(
      doc.results.files.some((f) => f.path.endsWith('.webm')),
      'the WebM is saved as what it is',
    );
    const manifest = readFileSync(join(e.downloadDir, 'ocean', 'manifest.csv'), 'utf8');
    assert.match(manifest, /1080,1920/);

    // --min-height 1000: the 960-px video that claims 1920 is downloaded, measured and removed.
    const tall = await runCli(
      [
        'search',
        'ocean',
        '--sources',
        sources,
        '--type',
        'video',
        '--limit',
        '3',
        '--min-height',
        '1000',
        '--no-archive',
        '--json',
      ],
      e,
    );
    assert.equal(tall.code, 0, tall.stderr);
    const kept = JSON.parse(tall.stdout) as JobDocument;
    assert.deepEqual(kept.results.files.map((f) => [f.width, f.height]).sort(), [
      [1080, 1920],
      [1920, 1080],
      [1920, 1080],
    ]);
    assert.equal(kept.results.filtered, 4);
    assert.equal(kept.results.filtered_reasons.min_height, 4);
    assert.ok(
      (sim.requests.pexels ?? []).filter((u) => u.includes('4838318')).length >= 2,
      'the video whose claim passed was downloaded, then measured',
    );
    assert.equal(mediaFiles(e.downloadDir).length, 7 + 3, 'the removed videos are not left on disk');
    assert.ok(!listFiles(e.downloadDir).some((f) => f.endsWith('.part')));
  } finally {
    e.cleanup();
    await sim.close();
  }
});

test('of two copies known before download the larger is kept, whichever source finds it first', async () => {
  // Pexels' first photo declares 4000×2682 (Pexels License), Openverse's first 960×623 (CC BY 2.0):
  // both, thumbnails included, are one picture. Openverse's copy would be saved first (its file
  // takes 1.5 s, Pexels' thumbnail 0.5 s and its file 2.5 s): the larger copy, known 0.5 s in,
  // cuts the smaller one's download and is the one kept.
  const copies = ['pexels-photo-238118', 'City_of_Duhok'];
  const sim = await startSimulation({
    sources: ['openverse', 'pexels'],
    media: (name) => {
      if (!copies.some((c) => name.includes(c)) && !name.includes('03b8a0b8')) return undefined;
      const thumbnail = /compress|thumb/.test(name);
      const delayMs = name.includes('City_of_Duhok') ? 1500 : name.includes('238118') ? (thumbnail ? 500 : 2500) : 0;
      return { ...png('otter', thumbnail ? 120 : 480, thumbnail ? 90 : 360), delayMs };
    },
  });
  const e = cliEnv({ ...sim.env, MAX_DOWNLOADS_PER_SOURCE: '1' });
  try {
    const r = await runCli(['search', 'otter', '--sources', 'openverse,pexels', '--limit', '2', '--json'], e);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    const otters = doc.results.files.filter((f) => copies.some((c) => decodeURIComponent(f.url).includes(c)));
    assert.deepEqual(
      otters.map((f) => f.source),
      ['pexels'],
      'the larger copy is the one kept',
    );
    assert.equal(doc.results.source_stats.openverse!.near_duplicates, 1);
    assert.equal(doc.results.source_stats.pexels!.near_duplicates, 0);
    assert.equal(doc.results.source_stats.openverse!.downloaded, 2, 'Openverse fills its limit with other pictures');
    assert.equal(doc.results.files.length, 4);
    assertDiskAgrees(e, doc);
    assert.ok(!listFiles(e.downloadDir).some((f) => f.endsWith('.part')));
    assert.match(r.stderr, /Near-duplicates: 1/);
  } finally {
    e.cleanup();
    await sim.close();
  }
});
