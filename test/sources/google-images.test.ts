import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import { readFixture } from '../../src/demo/sim-server.ts';
import { judgeGooglePage, parseGooglePage, parseInitData, source } from '../../src/sources/google-images.ts';
import {
  always,
  assertVideoSearchAsksNothing,
  collect,
  runJob,
  searchError,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';

const REAL_LINKS = readFixture('google_images/imgres-urls.real.txt').split('\n').filter(Boolean);
const FRAGMENT = readFixture('google_images/af-initdata-fragment.real.txt').trim();
const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

const CHELSEA = {
  id: 'google_images:EAH33eX_SrJJkM',
  source: 'google_images',
  kind: 'image',
  url: 'https://upload.wikimedia.org/wikipedia/vi/thumb/5/5c/Chelsea_crest.svg/1200px-Chelsea_crest.svg.png',
  width: 1200,
  height: 1200,
  title: '1200px-Chelsea_crest.svg.png',
  pageUrl: 'https://vi.wikipedia.org/wiki/Chelsea_F.C.',
  thumbnailUrl: 'https://encrypted-tbn0.gstatic.com/images?q=tbn:EAH33eX_SrJJkM',
};

test('the recorded /imgres? links parse to imgurl, imgrefurl, w, h and tbnid, absolute or relative', () => {
  const [chelsea, forbes, milo] = REAL_LINKS as [string, string, string];
  const html = `<a href="${escapeAttr(chelsea)}">x</a><a href="${escapeAttr(forbes.replace('https://www.google.com', ''))}"></a><a href="${escapeAttr(milo)}"><img alt="Milo"></a>`;
  const page = parseGooglePage(html);
  assert.deepEqual(page.candidates, [
    { ...CHELSEA, title: 'x' },
    {
      id: 'google_images:JoZ3Jfnh3Jl12M',
      source: 'google_images',
      kind: 'image',
      url: 'https://forbes.com.br/wp-content/uploads/2023/10/mulher-brasil-rio-de-janeiro-getty.jpg',
      width: 1500,
      height: 1000,
      title: 'mulher-brasil-rio-de-janeiro-getty.jpg',
      pageUrl:
        'https://forbes.com.br/forbes-mulher/2023/10/brasil-e-feminino-mulheres-sao-maioria-em-todas-as-regioes-pela-primeira-vez/',
      thumbnailUrl: 'https://encrypted-tbn0.gstatic.com/images?q=tbn:JoZ3Jfnh3Jl12M',
    },
    {
      id: 'google_images:m-ggbeEpN-xsQM',
      source: 'google_images',
      kind: 'image',
      url: 'https://www.nestle.com/sites/default/files/milo-detail-brand-page.jpg',
      width: 230,
      height: 375,
      title: 'Milo',
      pageUrl: 'https://www.nestle.com/brands/drinks/milo',
      thumbnailUrl: 'https://encrypted-tbn0.gstatic.com/images?q=tbn:m-ggbeEpN-xsQM',
    },
  ]);
});

const SOHU = {
  id: 'google_images:LJNe5BB21_y0_M',
  source: 'google_images',
  kind: 'image',
  url: 'https://q5.itc.cn/images01/20240320/e2c7f95da03249c8afee7ca94a017404.jpeg',
  // [url, height, width]: 1196 high, 1080 wide.
  width: 1080,
  height: 1196,
  title: '盘点十种非常可爱的小猫咪你最喜欢哪一个品种呢_搜狐网',
  pageUrl: 'https://www.sohu.com/a/765546267_121922110',
  thumbnailUrl: 'https://encrypted-tbn0.gstatic.com/images?q=tbn:ANd9GcQaMCnoCBL3LdOtopN1e6eI97Fk78Rb7MCu_Q&s',
};

test('the recorded AF_initDataCallback fragment parses [url,height,width] and its "2003" metadata, escapes decoded', () => {
  assert.deepEqual(parseInitData(FRAGMENT), [SOHU]);
  // The same data escaped once more, as some pages carry it: decoded twice, same result.
  assert.deepEqual(parseInitData(FRAGMENT.replace(/\\u/g, '\\\\u')), [SOHU]);
  assert.deepEqual(parseGooglePage(readFixture('google_images/desktop-af-initdata.assembled.html')).candidates, [SOHU]);
});

test('"did not match any image results" is the end; other pages without results and unreadable links are ParseErrors', () => {
  const none = readFixture('google_images/wml-no-results.assembled.html');
  assert.equal(judgeGooglePage(parseGooglePage(none), none, true), 'end');
  const other = '<html><head><title>Google</title></head><body><div class="new">cats</div></body></html>';
  assert.throws(
    () => judgeGooglePage(parseGooglePage(other), other, true),
    (e) =>
      e instanceof ParseError && /not a results page: .*; came \d+ bytes, title "Google", text "cats"$/.test(e.message),
  );
  const links = '<a href="/imgres?imgrefurl=https://x.org/">x</a><a href="/imgres?imgrefurl=https://y.org/">y</a>';
  assert.throws(
    () => judgeGooglePage(parseGooglePage(links), links, false),
    (e) =>
      e instanceof ParseError &&
      e.message ===
        'google_images: layout changed: 2 result items (a[href*="/imgres?"] links), none readable as links with an http(s) imgurl',
  );
});

test('search pages /wml/search by start, drops the repeated image and stops at the no-results page', async () => {
  await withSimulation(source, async (t, simulation) => {
    const got = await collect(source, { text: 'chelsea', limit: 10 }, t.ctx);
    assert.deepEqual(
      got.map((c) => c.id),
      ['google_images:EAH33eX_SrJJkM', 'google_images:JoZ3Jfnh3Jl12M', 'google_images:m-ggbeEpN-xsQM'],
    );
    assert.deepEqual(
      got.map((c) => [c.width, c.height, c.pageUrl]),
      [
        [1200, 1200, 'https://vi.wikipedia.org/wiki/Chelsea_F.C.'],
        [
          1500,
          1000,
          'https://forbes.com.br/forbes-mulher/2023/10/brasil-e-feminino-mulheres-sao-maioria-em-todas-as-regioes-pela-primeira-vez/',
        ],
        [230, 375, 'https://www.nestle.com/brands/drinks/milo'],
      ],
    );
    for (const c of got) {
      assert.ok(c.url.startsWith(`${simulation.origins.google_images}/__media/`), c.url);
      assert.ok(c.thumbnailUrl!.startsWith(`${simulation.origins.google_images}/__media/`), c.thumbnailUrl);
    }
    const requests = simulation.requests.google_images!.map((r) => new URL(r, 'http://x'));
    assert.deepEqual(
      requests.map((u) => [
        u.pathname,
        u.searchParams.get('q'),
        u.searchParams.get('tbm'),
        u.searchParams.get('start'),
      ]),
      [
        ['/wml/search', 'chelsea', 'isch', null],
        ['/wml/search', 'chelsea', 'isch', '10'],
        ['/wml/search', 'chelsea', 'isch', '20'],
      ],
    );
  });
});

test('the request carries the feature-phone User-Agent and the consent cookie', async () => {
  await withFakeServer(
    source,
    always(readFixture('google_images/wml-no-results.assembled.html')),
    async (t, service) => {
      assert.deepEqual(await collect(source, { text: 'x' }, t.ctx), []);
      assert.match(String(service.headers[0]!['user-agent']), /^Nokia/);
      assert.equal(service.headers[0]!.cookie, 'CONSENT=YES+');
    },
  );
});

test('a redirect to /sorry is a BlockedError', async () => {
  await withFakeServer(
    source,
    (req, res, url) => {
      if (url.pathname === '/wml/search') {
        res.writeHead(302, { location: `/sorry/index?continue=${encodeURIComponent(url.href)}` });
        res.end();
      } else {
        res.writeHead(429, { 'content-type': 'text/html' });
        res.end('<html><body>Our systems have detected unusual traffic from your computer network.</body></html>');
      }
    },
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof BlockedError, String(error));
      assert.equal(error.message, 'google_images: blocked: redirected to /sorry (captcha)');
    },
  );
});

test('a 429 or a short page pointing at /sorry/ is a BlockedError too', async () => {
  for (const [status, body] of [
    [429, 'Too Many Requests'],
    [200, '<html><head><meta http-equiv="refresh" content="0;url=/sorry/index?continue=x"></head></html>'],
  ] as const) {
    await withFakeServer(source, always(body, status), async (t) => {
      assert.ok((await searchError(source, { text: 'x' }, t.ctx)) instanceof BlockedError);
    });
  }
});

test('a changed layout is a ParseError naming google_images and what is missing', async () => {
  await withFakeServer(
    source,
    always(`<html><body>${'<div class="grid"><img src="https://x.org/a.jpg"></div>'.repeat(80)}</body></html>`),
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.match(
        error.message,
        /^google_images: layout changed: not a results page: no a\[href\*="\/imgres\?"\] links, no AF_initDataCallback \[url,height,width\] arrays and no "did not match any" sentence; came \d+ bytes$/,
      );
    },
  );
});

test('a desktop page with AF_initDataCallback data is read too; the same page for ever stops after two requests', async () => {
  await withFakeServer(
    source,
    always(readFixture('google_images/desktop-af-initdata.assembled.html')),
    { maxPages: 50 },
    async (t, service) => {
      assert.deepEqual(await collect(source, { text: 'x' }, t.ctx), [SOHU]);
      assert.equal(service.requests.length, 2);
    },
  );
});

test('a video search asks Google nothing', () => assertVideoSearchAsksNothing(source));

test(
  'a job through the real runner downloads every image once, with its page attached',
  { timeout: 60_000 },
  async () => {
    const { doc, filesOnDisk } = await runJob('google_images', { limit: 50, type: 'image' });
    assert.equal(doc.status, 'completed');
    const stats = doc.results.source_stats.google_images!;
    assert.deepEqual([stats.downloaded, stats.failed_downloads, stats.pages], [3, 0, 3]);
    assert.deepEqual(doc.results.files.map((f) => [f.candidate_id, f.page_url]).sort(), [
      ['google_images:EAH33eX_SrJJkM', 'https://vi.wikipedia.org/wiki/Chelsea_F.C.'],
      [
        'google_images:JoZ3Jfnh3Jl12M',
        'https://forbes.com.br/forbes-mulher/2023/10/brasil-e-feminino-mulheres-sao-maioria-em-todas-as-regioes-pela-primeira-vez/',
      ],
      ['google_images:m-ggbeEpN-xsQM', 'https://www.nestle.com/brands/drinks/milo'],
    ]);
    assert.equal(filesOnDisk.length, 3);
  },
);
