import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import {
  commonsFile,
  commonsParams,
  continueParams,
  filetypeFilter,
  parseCommonsAnswer,
  source,
} from '../../src/sources/wikimedia-commons.ts';
import {
  collect,
  fixtureJson,
  runJob,
  searchError,
  sendJson,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';

const ARABIC_FILE =
  '%D8%AC%D8%A7%D9%85%D8%B9%D8%A9_%D8%AF%D9%87%D9%88%D9%83_%D8%A7%D9%84%D8%A8%D9%88%D8%A7%D8%A8%D8%A9.jpg';
const RECORDED_CANDIDATE = {
  id: 'wikimedia_commons:46242676',
  source: 'wikimedia_commons',
  kind: 'image',
  url: `https://upload.wikimedia.org/wikipedia/commons/0/00/${ARABIC_FILE}?utm_source=commons.wikimedia.org&utm_campaign=imageinfo&utm_content=original`,
  width: 960,
  height: 540,
  title: 'جامعة دهوك البوابة',
  pageUrl: `https://commons.wikimedia.org/wiki/File:${ARABIC_FILE}`,
  thumbnailUrl: `https://upload.wikimedia.org/wikipedia/commons/0/00/${ARABIC_FILE}?utm_source=commons.wikimedia.org&utm_campaign=imageinfo&utm_content=thumbnail_unscaled`,
  author: 'MuhammedIQ',
  license: 'CC BY-SA 4.0',
  mime: 'image/jpeg',
  bytes: 81503,
};

test('parses the recorded formatversion 2 answer exactly: HTML stripped, utm query kept, id from pageid', () => {
  const answer = parseCommonsAnswer(
    fixtureJson('wikimedia_commons/generator-search-imageinfo.real-trimmed.json'),
    1080,
  );
  assert.deepEqual(answer, { candidates: [RECORDED_CANDIDATE], next: null });
});

test('parses the same answer in formatversion 1 (pages keyed by pageid) with its continue object', () => {
  const answer = parseCommonsAnswer(
    fixtureJson('wikimedia_commons/generator-search-imageinfo.fv1.assembled.json'),
    1080,
  );
  assert.deepEqual(answer, { candidates: [RECORDED_CANDIDATE], next: { gsroffset: '1', continue: 'gsroffset||' } });
});

test('the bare envelope is the end of results in both formatversions, not a layout change', () => {
  assert.deepEqual(parseCommonsAnswer({ batchcomplete: true }, 1080), { candidates: [], next: null });
  assert.deepEqual(parseCommonsAnswer({ batchcomplete: '' }, 1080), { candidates: [], next: null });
});

test('the real zero-hit answer (searchinfo totalhits 0, no pages) is the end, not a layout change', () => {
  for (const path of [
    'wikimedia_commons/search-no-hits.real.json',
    'wikimedia_commons/list-search-no-hits.real.json',
  ]) {
    assert.deepEqual(parseCommonsAnswer(fixtureJson(path), 1080), { candidates: [], next: null }, path);
  }
});

test('an API error, a missing query or a page list without files is a ParseError naming the source', () => {
  assert.throws(
    () =>
      parseCommonsAnswer(
        { error: { code: 'missingparam', info: 'The "gsrsearch" parameter must be set.' }, servedby: 'mw-api-ext' },
        1080,
      ),
    (e: unknown) =>
      e instanceof ParseError &&
      e.source === 'wikimedia_commons' &&
      e.message === 'wikimedia_commons: layout changed: API error missingparam: The "gsrsearch" parameter must be set.',
  );
  assert.throws(
    () => parseCommonsAnswer({ warnings: {} }, 1080),
    /no query.pages and no batchcomplete; came an object with keys warnings$/,
  );
  assert.throws(
    () => parseCommonsAnswer({ query: { search: [] } }, 1080),
    /no query.pages and no query.searchinfo.totalhits: 0; came query as an object with keys search$/,
  );
  assert.throws(
    () => parseCommonsAnswer({ query: { searchinfo: { totalhits: 12 } } }, 1080),
    /no query.pages and no query.searchinfo.totalhits: 0/,
  );
  assert.throws(
    () => parseCommonsAnswer({ query: { pages: [{ pageid: 1, title: 'File:x.jpg' }] } }, 1080),
    /1 result pages, none readable as a file page/,
  );
  assert.throws(() => parseCommonsAnswer([1, 2], 1080), /not a JSON object/);
});

test('results come in search rank (index), extmetadata [] is no metadata, the title falls back to the file name', () => {
  const answer = parseCommonsAnswer(
    {
      batchcomplete: true,
      query: {
        pages: [
          {
            pageid: 7,
            title: 'File:Second.jpg',
            index: 2,
            imageinfo: [{ url: 'https://upload.wikimedia.org/b.jpg', mime: 'image/jpeg', extmetadata: [] }],
          },
          {
            pageid: 4,
            title: 'File:First photo.png',
            index: 1,
            imageinfo: [{ url: 'https://upload.wikimedia.org/a.png', mime: 'image/png' }],
          },
          {
            pageid: 9,
            title: 'File:Sound.ogg',
            index: 3,
            imageinfo: [{ url: 'https://upload.wikimedia.org/s.oga', mime: 'audio/ogg' }],
          },
        ],
      },
    },
    1080,
  );
  assert.deepEqual(
    answer.candidates.map((c) => [c.id, c.title]),
    [
      ['wikimedia_commons:4', 'First photo'],
      ['wikimedia_commons:7', 'Second'],
    ],
  );
});

test('a 4K video gives its transcode within the cap (1080p at 1080, 360p at 720), none below 240p', () => {
  const bunny = fixtureJson('wikimedia_commons/videoinfo-big-buck-bunny.json');
  assert.deepEqual(commonsFile(bunny, 1080), {
    id: 'wikimedia_commons:40108642',
    source: 'wikimedia_commons',
    kind: 'video',
    url: 'https://upload.wikimedia.org/wikipedia/commons/transcoded/c/c0/Big_Buck_Bunny_4K.webm/Big_Buck_Bunny_4K.webm.1080p.vp9.webm',
    width: 1920,
    height: 1080,
    title: 'Big Buck Bunny 4K',
    pageUrl: 'https://commons.wikimedia.org/wiki/File:Big_Buck_Bunny_4K.webm',
    thumbnailUrl:
      'https://upload.wikimedia.org/wikipedia/commons/thumb/c/c0/Big_Buck_Bunny_4K.webm/640px--Big_Buck_Bunny_4K.webm.jpg',
    author: 'Blender Foundation',
    mime: 'video/webm',
  });
  assert.equal(commonsFile(bunny, 720)!.url.endsWith('.360p.mpeg4.mov'), true);
  assert.equal(commonsFile(bunny, 2250)!.bytes, 2964839055, 'the original, with its size, when the cap allows it');
  assert.equal(commonsFile(bunny, 200), undefined);
});

test('requests carry the real parameters: filetype keyword per type, imageinfo or videoinfo, continue forwarded', () => {
  assert.equal(filetypeFilter('image'), 'filetype:bitmap');
  assert.equal(filetypeFilter('video'), 'filetype:video');
  assert.equal(filetypeFilter('any'), 'filetype:bitmap|video');
  const images = commonsParams({ text: 'lighthouse', type: 'image', limit: 10 }, 15, {});
  assert.equal(
    images.toString(),
    'action=query&format=json&formatversion=2&generator=search&gsrsearch=filetype%3Abitmap+lighthouse&gsrnamespace=6&gsrlimit=15' +
      '&prop=imageinfo&iiprop=url%7Csize%7Cmime%7Cextmetadata&iiurlwidth=640' +
      '&iiextmetadatafilter=ObjectName%7CImageDescription%7CArtist%7CLicenseShortName%7CLicenseUrl%7CUsageTerms',
  );
  const videos = commonsParams({ text: 'x', type: 'video', limit: 10 }, 15, {
    gsroffset: '15',
    continue: 'gsroffset||',
  });
  assert.equal(videos.get('prop'), 'videoinfo');
  assert.equal(videos.get('viprop'), 'url|size|mime|extmetadata|derivatives');
  assert.equal(videos.get('gsroffset'), '15');
  assert.equal(videos.get('continue'), 'gsroffset||');
  assert.deepEqual(continueParams({ gsroffset: 20, continue: 'gsroffset||', 'bad key': 'x', nested: {} }), {
    gsroffset: '20',
    continue: 'gsroffset||',
  });
});

test('searches the simulation: two pages, the bare envelope ends it, the duplicate is dropped', async () => {
  await withSimulation(source, async (t, sim) => {
    const found = await collect(source, { text: 'Duhok', type: 'image', limit: 10 }, t.ctx);
    assert.deepEqual(
      found.map((c) => c.id),
      ['wikimedia_commons:46242676', 'wikimedia_commons:37605325'],
    );
    assert.ok(found.every((c) => c.kind === 'image' && c.url.startsWith(`${sim.origins.wikimedia_commons}/__media/`)));
    assert.equal(found[1]!.author, 'Claus Weinberg');
    const offsets = sim.requests.wikimedia_commons!.map((r) => new URL(r, 'http://x').searchParams.get('gsroffset'));
    assert.deepEqual(offsets, [null, '1', '3']);
    assert.equal(t.pages(), 3);
    assert.ok(
      sim.requests.wikimedia_commons!.every((r) =>
        r.startsWith(
          '/w/api.php?action=query&format=json&formatversion=2&generator=search&gsrsearch=filetype%3Abitmap+Duhok',
        ),
      ),
    );
  });
});

test('video and any searches ask for filetype:video / bitmap|video with videoinfo and set kind from the MIME type', async () => {
  await withSimulation(source, { env: { MAX_VIDEO_RESOLUTION: '720' } }, async (t, sim) => {
    const videos = await collect(source, { text: 'bunny', type: 'video' }, t.ctx);
    assert.deepEqual(
      videos.map((c) => [c.id, c.kind, c.width, c.height]),
      [['wikimedia_commons:40108642', 'video', 640, 360]],
    );
    assert.match(sim.requests.wikimedia_commons![0]!, /gsrsearch=filetype%3Avideo\+bunny&.*prop=videoinfo/);
    sim.requests.wikimedia_commons!.length = 0;
    const any = await collect(source, { text: 'bunny', type: 'any' }, t.ctx);
    assert.deepEqual(
      any.map((c) => c.kind),
      ['image', 'video', 'image'],
    );
    assert.match(sim.requests.wikimedia_commons![0]!, /gsrsearch=filetype%3Abitmap%7Cvideo\+bunny/);
  });
});

test('sends the descriptive User-Agent; a changed layout fails loudly; a continue that does not advance stops', async () => {
  let body: unknown = { batchcomplete: true, query: { results: [] } };
  await withFakeServer(
    source,
    (_req, res) => sendJson(res, body),
    { maxPages: 30 },
    async (t, server) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.equal(
        error.message,
        'wikimedia_commons: layout changed: no query.pages and no query.searchinfo.totalhits: 0; came query as an object with keys results',
      );
      assert.match(String(server.headers[0]!['user-agent']), /^Harvester\/\S+ \(\+https?:\/\/\S+\)$/);
      // The same page with the same offset again and again: two requests, one candidate.
      body = {
        ...(fixtureJson('wikimedia_commons/generator-search-imageinfo.real-trimmed.json') as object),
        continue: { gsroffset: 1, continue: 'gsroffset||' },
      };
      server.requests.length = 0;
      assert.equal((await collect(source, { text: 'x', limit: 100 }, t.ctx)).length, 1);
      assert.equal(server.requests.length, 2);
    },
  );
});

test('a job through the real runner downloads every image and video once, with artist and license attached', async () => {
  const { doc, filesOnDisk } = await runJob('wikimedia_commons', { limit: 10, type: 'any' });
  assert.equal(doc.status, 'completed');
  const stats = doc.results.source_stats.wikimedia_commons!;
  assert.deepEqual(
    [stats.downloaded, stats.images, stats.videos, stats.failed_downloads, stats.pages],
    [3, 2, 1, 0, 3],
  );
  const arabic = doc.results.files.find((f) => f.candidate_id === 'wikimedia_commons:46242676')!;
  assert.deepEqual([arabic.title, arabic.author, arabic.license], ['جامعة دهوك البوابة', 'MuhammedIQ', 'CC BY-SA 4.0']);
  const bunny = doc.results.files.find((f) => f.candidate_id === 'wikimedia_commons:40108642')!;
  assert.deepEqual([bunny.kind, bunny.title, bunny.author], ['video', 'Big Buck Bunny 4K', 'Blender Foundation']);
  assert.match(bunny.url, /Big_Buck_Bunny_4K-webm-1080p-vp9-webm\.mp4$/, 'the 1080p transcode, not the 4K original');
  assert.equal(filesOnDisk.length, 3);
});

test('a 403 (User-Agent policy, abuse filter) is a BlockedError carrying the text of the refusal', async () => {
  await withFakeServer(
    source,
    (_req, res) => {
      res.writeHead(403, { 'content-type': 'text/html' });
      res.end('<html><body><p>Please set a <b>user-agent</b> and respect our robot policy.</p></body></html>');
    },
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof BlockedError);
      assert.equal(
        error.message,
        'wikimedia_commons: blocked: HTTP 403: Please set a user-agent and respect our robot policy.',
      );
    },
  );
});
