import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../src/core/errors.ts';
import { readFixture } from '../../src/demo/sim-server.ts';
import { parseBingPage, source } from '../../src/sources/bing-images.ts';
import {
  always,
  assertVideoSearchAsksNothing,
  collect,
  runJob,
  searchError,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';

/** The raw `m` values of m-attribute-values.real.txt, as they appear inside the attribute. */
function realMValues(): string[] {
  return readFixture('bing_images/m-attribute-values.real.txt')
    .split('\n')
    .filter((line) => line.startsWith('{'));
}

test('the recorded /images/async card parses to exactly its fields, size from the older "3442 x 2972 · png" text and href', () => {
  const page = parseBingPage(readFixture('bing_images/async-sample.html'));
  assert.equal(page.reading.readable, 1);
  assert.deepEqual(page.candidates, [
    {
      id: 'bing_images:8FDC2B382A5FDB5C6325DEB63A4482E9C3A11F56',
      source: 'bing_images',
      kind: 'image',
      url: 'https://pic.wenwen.soso.com/pqpic/wenwenpic/0/20200905072601-1377158880_png_3442_2972_201696/0',
      width: 3442,
      height: 2972,
      title: '用wps怎么画这样的折线图',
      pageUrl: 'https://wenwen.sogou.com/z/q825286701.htm',
      // `&amp;pid` inside the entity-encoded JSON: decoded exactly once.
      thumbnailUrl: 'https://tse1-mm.cn.bing.net/th?id=OIP.qTwEnan4GiMdiu0jeB7ZLgHaGZ&pid=15.1',
      mime: 'image/png',
    },
  ]);
});

test('every recorded m value (entity-encoded, and one already decoded) yields its murl, turl, purl and title', () => {
  const [r1, r2, apple, modi] = realMValues() as [string, string, string, string];
  const html = [
    `<a class="iusc" m="${r1}"></a>`,
    `<a class="iusc" m="${r2}"></a>`,
    `<a class="iusc" m="${apple}"></a>`,
    // The React capture holds plain JSON; inside single quotes it is a valid attribute as is.
    `<a class="iusc" m='${modi}'></a>`,
  ].join('\n');
  const got = parseBingPage(html).candidates.map((c) => [c.id, c.url, c.thumbnailUrl, c.pageUrl, c.title]);
  assert.deepEqual(got, [
    [
      'bing_images:962660048F54A1CA0BE825BEF267F0CC4A5C66EC',
      'http://wenhui.whb.cn/u/cms/www/202211/03155700yjdk.jpg',
      'https://ts1.mm.bing.net/th?id=OIP.25SQhm4X7T-75fgE_FibzAHaNK&pid=15.1',
      'https://wenhui.whb.cn/zhuzhan/yingshi/20221103/493588.html',
      '王家卫新剧《繁花》发布最新海报及预告片，原著作者金宇澄亮相',
    ],
    [
      'bing_images:6FF81B45C15A0C50DF79D075566C68B3C3A92AC0',
      'https://x0.ifengimg.com/res/2024/84F0A598897E0953577D43138C1D2E5CFE56371E_size303_w1879_h1280.jpg',
      'https://ts3.mm.bing.net/th?id=OIP.DvczLapgfv52bwKiaZDxYQHaFC&pid=15.1',
      'https://h5.ifeng.com/c/vivo/v002j4ZDB5CXoqPXpFQKXw5jJgIb0-_BizcTRfHC6Gj35Rm8__?isNews=1',
      '从《繁花》看上海出品',
    ],
    [
      'bing_images:E52BA92E1691011E3111A4106B54E5AB5AC3898B',
      'http://www.michiganapples.com/Portals/0/New%20Fall.jpg',
      'https://tse3.mm.bing.net/th?id=OIP.AB5rIo1B5wT8qLNu3dg4KAHaJ4&pid=15.1',
      'http://www.michiganapples.com/',
      'Michigan Apple Committee',
    ],
    [
      'bing_images:C4385EB6EA808B1F89854180EB766B47BD2A7C1B',
      'https://i1.wp.com/medibulletin.com/wp-content/uploads/2018/02/Narendra_Modi.jpg?fit=1880%2C1160&ssl=1',
      'https://tse2.mm.bing.net/th?id=OIP.0BjwHh2eUAdPHAfib4cYsgHaEk&pid=15.1',
      'https://medibulletin.com/on-march-13-pm-narendra-modi-will-inaugurate-india-tb-summit/',
      'On March 13 PM Narendra Modi will inaugurate India TB summit - Health ...',
    ],
  ]);
});

test('sizes come from href expw/exph first, then either span.nowrap form', () => {
  const [r1] = realMValues() as [string];
  const card = (inner: string, href = '/images/search?view=detailV2') =>
    `<ul class="dgControl_list"><li><div class="iuscp"><div class="imgpt"><a class="iusc" m="${r1}" href="${href}"></a>` +
    `<div class="img_info hon">${inner}</div></div></div></li></ul>`;
  const size = (html: string) => {
    const [c] = parseBingPage(html).candidates;
    return [c?.width, c?.height, c?.mime];
  };
  assert.deepEqual(size(card('<span class="nowrap">1920×1080 · jpeg</span>')), [1920, 1080, 'image/jpeg']);
  assert.deepEqual(size(card('<span class="nowrap">3442 x 2972 &#183; png</span>')), [3442, 2972, 'image/png']);
  assert.deepEqual(
    size(card('<span class="nowrap">10 x 20 · gif</span>', '/images/search?mediaurl=x&amp;exph=2972&amp;expw=3442')),
    [3442, 2972, 'image/gif'],
  );
  assert.deepEqual(size(card('<span class="nowrap">pixels unknown</span>')), [undefined, undefined, undefined]);
});

test('titles are plain bounded text and only http(s) media URLs are kept', () => {
  const m = (obj: object) => JSON.stringify(obj).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  const html =
    `<a class="iusc" m="${m({ mid: 'A1', murl: 'javascript:alert(1)', t: 'x' })}"></a>` +
    `<a class="iusc" m="${m({ mid: 'B2', murl: '//cdn.example.org/b.jpg', t: '<script>alert(1)</script>Nice \ue000cat\ue001 &amp; dog '.repeat(40) })}"></a>`;
  const [only, ...rest] = parseBingPage(html).candidates;
  assert.equal(rest.length, 0);
  assert.equal(only!.url, 'https://cdn.example.org/b.jpg');
  assert.ok(!/[<>]/.test(only!.title!), only!.title);
  assert.match(only!.title!, /^Nice cat & dog Nice cat/);
  assert.ok(only!.title!.length <= 300);
});

test('search pages the simulation lazily, drops the repeated card and stops at the empty last page', async () => {
  await withSimulation(source, async (t, simulation) => {
    const got = await collect(source, { text: '繁花', limit: 10 }, t.ctx);
    assert.deepEqual(
      got.map((c) => c.id),
      [
        'bing_images:8FDC2B382A5FDB5C6325DEB63A4482E9C3A11F56',
        'bing_images:962660048F54A1CA0BE825BEF267F0CC4A5C66EC',
        'bing_images:6FF81B45C15A0C50DF79D075566C68B3C3A92AC0',
        'bing_images:E52BA92E1691011E3111A4106B54E5AB5AC3898B',
        'bing_images:C4385EB6EA808B1F89854180EB766B47BD2A7C1B',
      ],
    );
    for (const c of got) assert.ok(c.url.startsWith(`${simulation.origins.bing_images}/__media/`), c.url);
    const requests = simulation.requests.bing_images!.map((r) => new URL(r, 'http://x'));
    assert.deepEqual(
      requests.map((u) => [
        u.pathname,
        u.searchParams.get('q'),
        u.searchParams.get('async'),
        u.searchParams.get('first'),
        u.searchParams.get('count'),
      ]),
      [
        ['/images/async', '繁花', '1', '1', '15'],
        ['/images/async', '繁花', '1', '16', '15'],
        ['/images/async', '繁花', '1', '31', '15'],
      ],
    );
    assert.equal(t.pages(), 3);
  });
});

test('a consumer that takes two candidates causes one request only', async () => {
  await withSimulation(source, async (t, simulation) => {
    assert.equal((await collect(source, { text: 'x', limit: 2 }, t.ctx, 2)).length, 2);
    assert.equal(simulation.requests.bing_images!.length, 1);
  });
});

test('a video search asks Bing nothing', () => assertVideoSearchAsksNothing(source));

test('a changed layout is a ParseError naming bing_images and the missing cards', async () => {
  await withFakeServer(
    source,
    always('<html><body><div class="grid"><img src="https://x.org/a.jpg"></div></body></html>'),
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.match(
        error.message,
        /^bing_images: layout changed: not a results page: no a\.iusc\[m\] card and no \.dgControl \/ ul\.dgControl_list result container; came \d+ bytes$/,
      );
    },
  );
});

test('cards whose m is not JSON are a ParseError, not a silent zero', async () => {
  await withFakeServer(
    source,
    always('<ul class="dgControl_list"><li><a class="iusc" m="{murl:oops"></a></li></ul>'),
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.match(error.message, /^bing_images: layout changed: 1 a\.iusc\[m\] cards, none with JSON in m$/);
    },
  );
});

test('list items of a new shape inside the known result list are a ParseError counting them, not the end', async () => {
  const items = Array.from(
    { length: 12 },
    (_, i) => `<li><div class="imgpt"><a class="richImgLnk" data-m='{"u":"https://x.org/${i}.jpg"}'></a></div></li>`,
  ).join('');
  await withFakeServer(
    source,
    always(`<div class="dgControl"><ul class="dgControl_list">${items}</ul></div>`),
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.equal(
        error.message,
        'bing_images: layout changed: 12 result items (a.iusc[m] cards, ul.dgControl_list > li), none readable as a.iusc[m] cards with JSON holding an http(s) murl',
      );
    },
  );
});

test('readable cards count wherever they stand, even outside the known list', async () => {
  const [r1] = realMValues() as [string];
  await withFakeServer(
    source,
    always(`<section class="new-grid"><a class="iusc" m="${r1}"></a></section>`),
    async (t) => {
      const got = await collect(source, { text: 'x', limit: 1 }, t.ctx);
      assert.equal(got.length, 1);
    },
  );
});

test('the empty result container is the end of results, on the first page too', async () => {
  await withFakeServer(source, always(readFixture('bing_images/page-end.assembled.html')), async (t, service) => {
    assert.deepEqual(await collect(source, { text: 'x' }, t.ctx), []);
    assert.equal(service.requests.length, 1);
  });
});

test('a service that answers the same page for ever is asked twice, then the search stops', async () => {
  await withFakeServer(
    source,
    always(readFixture('bing_images/page-1.assembled.html')),
    { maxPages: 50 },
    async (t, service) => {
      assert.equal((await collect(source, { text: 'x', limit: 100 }, t.ctx)).length, 3);
      assert.equal(service.requests.length, 2);
    },
  );
});

test('the page cap bounds the requests when every page is new', async () => {
  let n = 0;
  await withFakeServer(
    source,
    (_req, res) => {
      n++;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<a class="iusc" m="{&quot;mid&quot;:&quot;M${n}&quot;,&quot;murl&quot;:&quot;https://x.org/${n}.jpg&quot;}"></a>`,
      );
    },
    { maxPages: 3 },
    async (t, service) => {
      assert.equal((await collect(source, { text: 'x', limit: 100 }, t.ctx)).length, 3);
      assert.equal(service.requests.length, 3);
    },
  );
});

test(
  'a job through the real runner downloads every card once, with title and page attached',
  { timeout: 60_000 },
  async () => {
    const { doc, filesOnDisk } = await runJob('bing_images', { limit: 50, type: 'image' });
    assert.equal(doc.status, 'completed');
    const stats = doc.results.source_stats.bing_images!;
    assert.deepEqual([stats.downloaded, stats.found, stats.failed_downloads, stats.pages], [5, 5, 0, 3]);
    assert.deepEqual(doc.results.files.map((f) => f.candidate_id).sort(), [
      'bing_images:6FF81B45C15A0C50DF79D075566C68B3C3A92AC0',
      'bing_images:8FDC2B382A5FDB5C6325DEB63A4482E9C3A11F56',
      'bing_images:962660048F54A1CA0BE825BEF267F0CC4A5C66EC',
      'bing_images:C4385EB6EA808B1F89854180EB766B47BD2A7C1B',
      'bing_images:E52BA92E1691011E3111A4106B54E5AB5AC3898B',
    ]);
    const apple = doc.results.files.find((f) => f.candidate_id.endsWith('E52BA92E1691011E3111A4106B54E5AB5AC3898B'))!;
    assert.deepEqual(
      [apple.title, apple.page_url, apple.mime],
      ['Michigan Apple Committee', 'http://www.michiganapples.com/', 'image/png'],
    );
    assert.equal(filesOnDisk.length, 5);
  },
);
