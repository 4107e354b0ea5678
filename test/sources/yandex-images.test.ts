import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedError, ParseError } from '../../src/core/errors.ts';
import { readFixture } from '../../src/demo/sim-server.ts';
import { parseYandexPage, source } from '../../src/sources/yandex-images.ts';
import {
  always,
  assertVideoSearchAsksNothing,
  collect,
  fakeServer,
  runJob,
  searchError,
  withFakeServer,
  withSimulation,
} from './source-harness.ts';

const FRAGMENT = readFixture('yandex_images/serp-item-fragment.real.txt').trimEnd();
const stateAttr = (state: unknown) => JSON.stringify(state).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
const statePage = (entities: Record<string, unknown>) =>
  `<div class="Root" id="ImagesApp-R1" data-state="${stateAttr({ initialState: { serpList: { items: { entities } } } })}"></div>`;

const VSEGDA = {
  id: 'yandex_images:63e645f8ae3239ff02ff0224000de374',
  source: 'yandex_images',
  kind: 'image',
  url: 'https://vsegda-pomnim.com/uploads/posts/2022-04/1648927316_5-vsegda-pomnim-com-p-krasivaya-priroda-les-foto-5.jpg',
};

test('the recorded serp-item fragment, completed into a data-bem attribute, yields its img_href and id', () => {
  const html = `<div class="serp-item" data-bem='{"serp-item":{"url${FRAGMENT.replace(/&/g, '&amp;')}"}}'></div>`;
  assert.deepEqual(parseYandexPage(html), {
    candidates: [VSEGDA],
    reading: { readable: 1, items: 1, containers: 0, saysNothingFound: false },
  });
});

test('the older data-bem page parses both serp-items, size and bytes from the matching preview', () => {
  const page = parseYandexPage(readFixture('yandex_images/data-bem-page.assembled.html'));
  assert.deepEqual(page.candidates, [
    VSEGDA,
    {
      id: 'yandex_images:4816bae0d174a44cc6889fd28884e02a',
      source: 'yandex_images',
      kind: 'image',
      url: 'http://getbg.net/upload/full/356647_kotik_4272x2848_(www.GetBg.net).jpg',
      width: 4272,
      height: 2848,
      title: 'котик',
      pageUrl: 'http://getbg.net/search/%D0%BA%D0%BE%D1%82%D0%B8%D0%BA/4.html',
      thumbnailUrl: 'https://im0-tub-com.yandex.net/i?id=4816bae0d174a44cc6889fd28884e02a&n=13',
      bytes: 5570624,
    },
  ]);
});

test('a data-state page parses every entity: origUrl and size, snippet title and page, protocol-relative thumbnail', () => {
  const page = parseYandexPage(readFixture('yandex_images/data-state-page-1.assembled.html'));
  assert.equal(page.reading.containers, 1);
  assert.deepEqual(page.candidates[1], {
    id: 'yandex_images:ed9cf36e02ad8f217cd34dcda1e3a4eb',
    source: 'yandex_images',
    kind: 'image',
    url: 'https://i.ytimg.com/vi/8gb_D2KjZMo/maxresdefault.jpg',
    width: 1280,
    height: 720,
    title: 'Маленькие котики фото/ Фото кошек прикольные! - YouTube',
    pageUrl: 'https://www.youtube.com/watch?v=8gb_D2KjZMo',
    thumbnailUrl: 'https://im0-tub-com.yandex.net/i?id=ed9cf36e02ad8f217cd34dcda1e3a4eb&n=13',
    bytes: 115456,
  });
  assert.deepEqual(
    page.candidates.map((c) => [c.width, c.height]),
    [
      [1600, 1200],
      [1280, 720],
      [640, 480],
    ],
  );
});

test('without origUrl the tallest dup is taken; without a snippet title the alt, highlight marks removed', () => {
  const page = parseYandexPage(
    statePage({
      x1: {
        id: 'x1',
        alt: 'Маленькие \u0007[котики\u0007] фото/ Фото кошек прикольные! ',
        viewerData: {
          dups: [
            { url: 'https://i.ytimg.com/vi/8gb_D2KjZMo/hqdefault.jpg', w: 480, h: 360 },
            { url: 'https://i.ytimg.com/vi/8gb_D2KjZMo/maxresdefault.jpg', w: 1280, h: 720, fileSizeInBytes: 115456 },
          ],
          preview: [{ url: 'javascript:alert(1)', w: 9000, h: 9000 }],
        },
      },
    }),
  );
  assert.deepEqual(page.candidates, [
    {
      id: 'yandex_images:x1',
      source: 'yandex_images',
      kind: 'image',
      url: 'https://i.ytimg.com/vi/8gb_D2KjZMo/maxresdefault.jpg',
      width: 1280,
      height: 720,
      title: 'Маленькие котики фото/ Фото кошек прикольные!',
      bytes: 115456,
    },
  ]);
});

test('a data-state without entities is a recognised empty page', () => {
  assert.deepEqual(parseYandexPage(readFixture('yandex_images/data-state-empty.assembled.html')).reading, {
    readable: 0,
    items: 0,
    containers: 1,
    saysNothingFound: false,
  });
  assert.deepEqual(
    parseYandexPage('<div data-state="{&quot;x&quot;:1}"></div><div data-bem=\'{"other":{}}\'></div>').reading,
    { readable: 0, items: 0, containers: 0, saysNothingFound: false },
  );
});

test('search pages /images/search by p, drops the repeated image and stops at the empty page', async () => {
  await withSimulation(source, async (t, simulation) => {
    const got = await collect(source, { text: 'котики', limit: 10 }, t.ctx);
    assert.deepEqual(
      got.map((c) => c.id.replace('yandex_images:', '')),
      [
        'be355dbdd68df6705f5254fc9fe39a97',
        'ed9cf36e02ad8f217cd34dcda1e3a4eb',
        '53cabffdfe1b20d15f99954ff7f3af41',
        '4816bae0d174a44cc6889fd28884e02a',
        '63e645f8ae3239ff02ff0224000de374',
      ],
    );
    for (const c of got) assert.ok(c.url.startsWith(`${simulation.origins.yandex_images}/__media/`), c.url);
    const requests = simulation.requests.yandex_images!.map((r) => new URL(r, 'http://x'));
    assert.deepEqual(
      requests.map((u) => [u.pathname, u.searchParams.get('text'), u.searchParams.get('p')]),
      [
        ['/images/search', 'котики', null],
        ['/images/search', 'котики', '1'],
        ['/images/search', 'котики', '2'],
      ],
    );
  });
});

test('the captcha header, a redirect to /showcaptcha and a showcaptcha page are BlockedErrors', async () => {
  const cases: [string, Parameters<typeof fakeServer>[0], RegExp][] = [
    [
      'header',
      always(readFixture('yandex_images/data-state-page-1.assembled.html'), 200, {
        'content-type': 'text/html',
        'x-yandex-captcha': 'captcha',
      }),
      /x-yandex-captcha/,
    ],
    [
      'redirect',
      (req, res, url) => {
        if (url.pathname === '/images/search') {
          res.writeHead(302, { location: '/showcaptcha?cc=1&retpath=x' });
          res.end();
        } else {
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<html><form action="/checkcaptcha"></form></html>');
        }
      },
      /redirected to \/showcaptcha/,
    ],
    [
      'page',
      always(
        '<html><body><form method="post" action="/checkcaptcha?key=1"><a href="/showcaptcha?x">captcha</a></form></body></html>',
      ),
      /a \/checkcaptcha captcha form/,
    ],
  ];
  for (const [name, handler, message] of cases) {
    await withFakeServer(source, handler, async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof BlockedError, `${name}: ${String(error)}`);
      assert.match(error.message, message, name);
    });
  }
});

test('a changed layout is a ParseError naming yandex_images and both layouts it looked for', async () => {
  await withFakeServer(
    source,
    always('<html><body><div class="SerpList"><img src="https://x.org/a.jpg"></div></body></html>'),
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.match(
        error.message,
        /^yandex_images: layout changed: not a results page: no data-state with initialState\.serpList\.items\.entities and no data-bem serp-item; came \d+ bytes$/,
      );
    },
  );
});

test('a page of serp-items none of which carries an image (web results) is a ParseError counting them, not the end', async () => {
  const web = (i: number) =>
    `<li class="serp-item" data-bem='{"serp-item":{"reqid":"r${i}","pos":${i}}}'><a href="https://site${i}.example/">Site ${i}</a></li>`;
  await withFakeServer(
    source,
    always(`<ul class="serp-list">${Array.from({ length: 12 }, (_, i) => web(i)).join('')}</ul>`),
    async (t) => {
      const error = await searchError(source, { text: 'x' }, t.ctx);
      assert.ok(error instanceof ParseError);
      assert.equal(
        error.message,
        'yandex_images: layout changed: 12 result items (serpList entities, data-bem serp-items), none readable as images (origUrl, img_href, dups or preview with an http(s) url)',
      );
    },
  );
});

test('the real SmartCaptcha page (a /checkcaptcha form served with 200) is a BlockedError naming the form', async () => {
  await withFakeServer(source, always(readFixture('yandex_images/checkcaptcha.real-trimmed.html')), async (t) => {
    const error = await searchError(source, { text: 'x' }, t.ctx);
    assert.ok(error instanceof BlockedError);
    assert.equal(error.message, 'yandex_images: blocked: a /checkcaptcha captcha form');
  });
});

test('the same page for ever is requested twice, then the search stops', async () => {
  await withFakeServer(
    source,
    always(readFixture('yandex_images/data-state-page-1.assembled.html')),
    { maxPages: 50 },
    async (t, service) => {
      assert.equal((await collect(source, { text: 'x', limit: 100 }, t.ctx)).length, 3);
      assert.equal(service.requests.length, 2);
    },
  );
});

test('a video search asks Yandex nothing', () => assertVideoSearchAsksNothing(source));

test(
  'a job through the real runner downloads every image once, with title and page attached',
  { timeout: 60_000 },
  async () => {
    const { doc, filesOnDisk } = await runJob('yandex_images', { limit: 50, type: 'image' });
    assert.equal(doc.status, 'completed');
    const stats = doc.results.source_stats.yandex_images!;
    assert.deepEqual([stats.downloaded, stats.failed_downloads, stats.pages], [5, 0, 3]);
    assert.equal(new Set(doc.results.files.map((f) => f.candidate_id)).size, 5);
    const getbg = doc.results.files.find((f) => f.candidate_id === 'yandex_images:4816bae0d174a44cc6889fd28884e02a')!;
    assert.deepEqual(
      [getbg.title, getbg.page_url],
      ['котик', 'http://getbg.net/search/%D0%BA%D0%BE%D1%82%D0%B8%D0%BA/4.html'],
    );
    assert.equal(filesOnDisk.length, 5);
  },
);
