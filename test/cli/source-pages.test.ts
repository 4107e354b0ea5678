// The end-of-results rule for every source, through the real CLI and runner: (a) unknown items
// inside the known containers, (b) the service's real empty answer, (c) a page that is no results
// page, (d) a block or captcha. Each case runs one `harvester search --json` over all ten
// sources, each pointed at its own fake server answering that case on the real paths.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { envPrefix } from '../../src/core/config.ts';
import type { JobDocument, SourceId } from '../../src/core/types.ts';
import { readFixture } from '../../src/demo/sim-server.ts';
import { SOURCES } from '../../src/sources/index.ts';
import { fakeServer, type FakeServer } from '../sources/source-harness.ts';
import { runCli } from './run-cli.ts';

type Case = 'unknown_items' | 'empty' | 'not_results' | 'blocked';
let mode: Case = 'empty';

const NOT_RESULTS =
  '<!doctype html><html><head><title>Welcome</title></head><body><h1>Welcome to our new portal</h1></body></html>';
const VQD_PAGE = readFixture('duckduckgo_images/vqd-page-head.excerpt.html');

function html(res: ServerResponse, body: string, status = 200): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
}
function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
const unknownObjects = (n: number) => Array.from({ length: n }, (_, i) => ({ kind: 'sponsored', slot: i }));

/** Each source's answer per case, on the real paths it requests. */
const ANSWERS: Record<SourceId, (res: ServerResponse, url: URL) => void> = {
  google_images: (res, url) => {
    if (url.pathname.startsWith('/sorry'))
      return html(res, '<html><body>Our systems have detected unusual traffic</body></html>');
    if (mode === 'unknown_items')
      return html(res, '<div>' + '<a href="/imgres?imgrefurl=https://x.example/">x</a>'.repeat(6) + '</div>');
    if (mode === 'empty') return html(res, readFixture('google_images/wml-no-results.assembled.html'));
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    res.writeHead(302, { location: '/sorry/index?continue=x' });
    res.end();
  },
  bing_images: (res) => {
    if (mode === 'unknown_items')
      return html(
        res,
        `<div class="dgControl"><ul class="dgControl_list">${'<li><div class="tile"></div></li>'.repeat(12)}</ul></div>`,
      );
    if (mode === 'empty') return html(res, readFixture('bing_images/page-end.assembled.html'));
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    html(res, 'Too many requests', 429);
  },
  yandex_images: (res) => {
    if (mode === 'unknown_items')
      return html(res, `<ul>${'<li data-bem=\'{"serp-item":{"reqid":"r"}}\'>web</li>'.repeat(8)}</ul>`);
    if (mode === 'empty') return html(res, readFixture('yandex_images/data-state-empty.assembled.html'));
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    html(res, readFixture('yandex_images/checkcaptcha.real-trimmed.html'));
  },
  unsplash: (res) => {
    if (mode === 'unknown_items') return json(res, { total: 4, total_pages: 1, results: unknownObjects(4) });
    if (mode === 'empty') return json(res, { total: 0, total_pages: 0, results: [] });
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    json(res, { errors: ['OAuth error: The access token is invalid'] }, 401);
  },
  pexels: (res) => {
    if (mode === 'unknown_items')
      return json(res, { page: 1, per_page: 15, photos: unknownObjects(5), total_results: 5 });
    if (mode === 'empty') return json(res, readFixture('pexels/photos-search.page3-empty.assembled.json'));
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    json(res, { error: 'Unauthorized' }, 401);
  },
  duckduckgo_images: (res, url) => {
    if (url.pathname === '/') return mode === 'not_results' ? html(res, NOT_RESULTS) : html(res, VQD_PAGE);
    if (mode === 'unknown_items') return json(res, { ads: null, next: 'i.js?s=100', results: unknownObjects(3) });
    if (mode === 'empty') return json(res, readFixture('duckduckgo_images/i.js-no-results.real.json'));
    json(res, '', 403);
  },
  openverse: (res) => {
    if (mode === 'unknown_items') return json(res, { result_count: 3, page_count: 1, results: unknownObjects(3) });
    if (mode === 'empty') return json(res, readFixture('openverse/images-search.page3-empty.assembled.json'));
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    json(res, { detail: 'Authentication credentials were not provided.' }, 401);
  },
  wikimedia_commons: (res) => {
    if (mode === 'unknown_items')
      return json(res, {
        batchcomplete: '',
        query: {
          pages: [
            { pageid: 1, ns: 6, title: 'File:A.jpg' },
            { pageid: 2, ns: 6, title: 'File:B.jpg' },
          ],
        },
      });
    if (mode === 'empty') return json(res, readFixture('wikimedia_commons/search-no-hits.real.json'));
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    html(res, '<html><body>Please set a user-agent and respect our robot policy</body></html>', 403);
  },
  pixabay: (res) => {
    if (mode === 'unknown_items') return json(res, { total: 2, totalHits: 2, hits: unknownObjects(2) });
    if (mode === 'empty') return json(res, readFixture('pixabay/images-search.page3-empty.assembled.json'));
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    html(res, '[ERROR 400] "key" is invalid or missing.', 400);
  },
  nasa_images: (res) => {
    if (mode === 'unknown_items')
      return json(res, { collection: { items: unknownObjects(3), metadata: { total_hits: 3 } } });
    if (mode === 'empty')
      return json(res, {
        collection: {
          version: '1.0',
          href: 'https://images-api.nasa.gov/search?q=x',
          items: [],
          metadata: { total_hits: 0 },
        },
      });
    if (mode === 'not_results') return html(res, NOT_RESULTS);
    html(res, '<html><body>Forbidden</body></html>', 403);
  },
};

const servers: FakeServer[] = [];
const env: Record<string, string> = {
  ALLOW_PRIVATE_NETWORKS: 'true',
  UNSPLASH_ACCESS_KEY: 'k',
  PEXELS_API_KEY: 'k',
  PIXABAY_API_KEY: 'k',
  SOURCE_TIMEOUT: '20',
  MAX_RETRIES_PER_SOURCE: '0',
};
const root = mkdtempSync(join(tmpdir(), 'harvester-pages-'));
let n = 0;

before(async () => {
  for (const source of SOURCES) {
    const server = await fakeServer((_req, res, url) => ANSWERS[source.id](res, url));
    servers.push(server);
    env[`${envPrefix(source.id)}_BASE_URL`] = server.origin;
  }
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

async function search(which: Case): Promise<{ code: number | null; doc: JobDocument; stderr: string }> {
  mode = which;
  const cwd = join(root, `w${++n}`);
  mkdirSync(cwd, { recursive: true });
  const r = await runCli(['search', 'cats', '--limit', '2', '--json', '--no-cache'], {
    cwd,
    env: { ...env, DOWNLOAD_DIR: join(cwd, 'd'), LOG_DIR: join(cwd, 'l'), DATA_DIR: join(cwd, 'data') },
  });
  return { code: r.code, doc: JSON.parse(r.stdout) as JobDocument, stderr: r.stderr };
}

describe('every source: unknown, empty, foreign and blocked pages through the CLI', () => {
  test('(a) unknown items inside the known containers: layout_changed naming what was found; the job fails, exit 1', async () => {
    const { code, doc, stderr } = await search('unknown_items');
    assert.equal(code, 1, stderr);
    assert.equal(doc.status, 'failed');
    for (const source of SOURCES) {
      const st = doc.results.source_stats[source.id]!;
      assert.equal(st.error_code, 'layout_changed', `${source.id}: ${st.error}`);
      assert.equal(st.status, 'failed');
      assert.match(
        st.error!,
        new RegExp(`^${source.id}: layout changed: (\\d+ .*none readable as|none of \\d+ )`),
        st.error!,
      );
    }
  });

  test("(b) the service's real empty answer: every source ends cleanly with 0 found; completed, exit 0", async () => {
    const { code, doc, stderr } = await search('empty');
    assert.equal(code, 0, stderr);
    assert.equal(doc.status, 'completed');
    for (const source of SOURCES) {
      const st = doc.results.source_stats[source.id]!;
      assert.equal(st.status, 'ok', `${source.id}: ${st.error}`);
      assert.equal(st.error_code, null);
      assert.equal(st.found, 0);
    }
  });

  test('(c) a page that is no results page: layout_changed saying what came; exit 1', async () => {
    const { code, doc, stderr } = await search('not_results');
    assert.equal(code, 1, stderr);
    for (const source of SOURCES) {
      const st = doc.results.source_stats[source.id]!;
      assert.equal(st.error_code, 'layout_changed', `${source.id}: ${st.error}`);
      assert.match(
        st.error!,
        /not a results page|is not JSON \(got an HTML page\)|no vqd token|HTML page/,
        `${source.id}: ${st.error}`,
      );
    }
  });

  test('(d) a block or captcha page: blocked; exit 1', async () => {
    const { code, doc, stderr } = await search('blocked');
    assert.equal(code, 1, stderr);
    for (const source of SOURCES) {
      const st = doc.results.source_stats[source.id]!;
      assert.equal(st.error_code, 'blocked', `${source.id}: ${st.error}`);
      assert.match(st.error!, new RegExp(`^${source.id}: blocked: `));
    }
  });
});
