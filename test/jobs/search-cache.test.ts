// The search cache against a real HTTP server (port 0) and a real SQLite file. The SourceHttp
// under the cache is a small fetch-based one, so these tests depend only on the cache and store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { HttpStatusError, ParseError } from '../../src/core/errors.ts';
import type { RequestOptions, SourceHttp, TextResponse } from '../../src/http/types.ts';
import { createCachedSourceHttp, redactUrl, searchCacheKey } from '../../src/jobs/search-cache.ts';
import { recordSourceOutcome } from '../../src/jobs/source-health.ts';
import { databasePath, openSqliteStore } from '../../src/store/open.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { tempEnv, type TempEnv } from '../store/store-fixtures.ts';

const DAY_MS = 86_400_000;

interface Fixture {
  origin: string;
  /** Paths (with query) the server received. */
  hits: string[];
  /** What the server answers next for a path, by pathname; default a JSON page. */
  answers: Map<string, { status: number; body: string }[]>;
  http: SourceHttp;
  store: SqliteStore;
  env: TempEnv;
  advance(ms: number): void;
  close(): Promise<void>;
}

async function setup(): Promise<Fixture> {
  const hits: string[] = [];
  const answers = new Map<string, { status: number; body: string }[]>();
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const next = answers.get(path)?.shift() ?? {
      status: 200,
      body: JSON.stringify({ results: [{ id: hits.length }] }),
    };
    res.writeHead(next.status, { 'content-type': 'application/json', 'set-cookie': 'session=abc' });
    res.end(next.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = tempEnv();
  let offsetMs = 0;
  const store = await openSqliteStore(env.config, { now: () => Date.now() + offsetMs });
  return {
    origin,
    hits,
    answers,
    http: fetchHttp(),
    store,
    env,
    advance: (ms) => (offsetMs += ms),
    close: async () => {
      await store.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      env.cleanup();
    },
  };
}

/** A minimal real SourceHttp: throws HttpStatusError outside 2xx, ParseError on bad JSON. */
function fetchHttp(): SourceHttp {
  const getText = async (url: string, options?: RequestOptions): Promise<TextResponse> => {
    const response = await fetch(url, { headers: options?.headers, signal: options?.signal });
    const text = await response.text();
    if (!response.ok) throw new HttpStatusError(response.status, url);
    return { status: response.status, url: response.url, headers: Object.fromEntries(response.headers), text };
  };
  return {
    getText,
    async getJson<T>(url: string, options?: RequestOptions) {
      const response = await getText(url, options);
      try {
        return { ...response, data: JSON.parse(response.text) as T };
      } catch {
        throw new ParseError('test', `invalid JSON from ${url}`);
      }
    },
  };
}

test('a repeated search page is served from the cache: one request, same data', async () => {
  const f = await setup();
  try {
    const http = createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'openverse', ttlMs: DAY_MS });
    const first = await http.getJson<{ results: { id: number }[] }>(`${f.origin}/v1/images/?q=cat&page=1`);
    const second = await http.getJson<{ results: { id: number }[] }>(`${f.origin}/v1/images/?q=cat&page=1`);
    assert.equal(f.hits.length, 1);
    assert.deepEqual(second.data, first.data);
    assert.equal(second.status, 200);
    assert.equal(second.headers['set-cookie'], undefined, 'cookies are not replayed');
    // A new wrapper (the next job) hits the same stored answer; parameter order does not matter.
    const later = createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'openverse', ttlMs: DAY_MS });
    await later.getJson(`${f.origin}/v1/images/?page=1&q=cat`);
    assert.equal(f.hits.length, 1);
    // Another page, another query or another source is a miss.
    await later.getJson(`${f.origin}/v1/images/?q=cat&page=2`);
    await later.getJson(`${f.origin}/v1/images/?q=dog&page=1`);
    await createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'pexels', ttlMs: DAY_MS }).getJson(
      `${f.origin}/v1/images/?q=cat&page=1`,
    );
    assert.equal(f.hits.length, 4);
  } finally {
    await f.close();
  }
});

test('getText answers are cached too, apart from getJson answers of the same URL', async () => {
  const f = await setup();
  try {
    const http = createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'bing_images', ttlMs: DAY_MS });
    const a = await http.getText(`${f.origin}/images/async?q=cat&first=0`);
    const b = await http.getText(`${f.origin}/images/async?q=cat&first=0`);
    assert.equal(b.text, a.text);
    assert.equal(f.hits.length, 1);
    await http.getJson(`${f.origin}/images/async?q=cat&first=0`);
    assert.equal(f.hits.length, 2);
  } finally {
    await f.close();
  }
});

test('an answer older than SEARCH_CACHE_TTL is fetched again', async () => {
  const f = await setup();
  try {
    const http = createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'openverse', ttlMs: 60_000 });
    await http.getJson(`${f.origin}/v1/images/?q=cat`);
    f.advance(59_000);
    await http.getJson(`${f.origin}/v1/images/?q=cat`);
    assert.equal(f.hits.length, 1, 'still fresh');
    f.advance(2_000);
    await http.getJson(`${f.origin}/v1/images/?q=cat`);
    assert.equal(f.hits.length, 2, 'expired');
  } finally {
    await f.close();
  }
});

test('a TTL of 0 turns the cache off (the wrapper is the plain http)', async () => {
  const f = await setup();
  try {
    assert.equal(createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'openverse', ttlMs: 0 }), f.http);
  } finally {
    await f.close();
  }
});

test('failures are never cached: an HTTP error and invalid JSON are asked again', async () => {
  const f = await setup();
  try {
    f.answers.set('/api/', [
      { status: 503, body: 'busy' },
      { status: 200, body: '<html>not json</html>' },
    ]);
    const http = createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'pixabay', ttlMs: DAY_MS });
    await assert.rejects(http.getJson(`${f.origin}/api/?q=cat`), HttpStatusError);
    await assert.rejects(http.getJson(`${f.origin}/api/?q=cat`), ParseError);
    const ok = await http.getJson<{ results: unknown[] }>(`${f.origin}/api/?q=cat`);
    assert.ok(Array.isArray(ok.data.results));
    await http.getJson(`${f.origin}/api/?q=cat`);
    assert.equal(f.hits.length, 3, 'two failures and one success reached the server; the fourth call was a hit');
  } finally {
    await f.close();
  }
});

test('answers a source accepts outside 2xx (a 404 it reads) are not cached; its 2xx answers are', async () => {
  const f = await setup();
  try {
    f.answers.set('/search', [{ status: 404, body: '{"reason":"no results"}' }]);
    const http = createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'nasa_images', ttlMs: DAY_MS });
    const acceptStatus = (s: number): boolean => (s >= 200 && s <= 299) || s === 404;
    const fetch404: SourceHttp = {
      // The fetch-based http throws outside 2xx; a source's acceptStatus makes the real client return instead.
      getText: async (url, options) => {
        const response = await fetch(url, { headers: options?.headers });
        return {
          status: response.status,
          url: response.url,
          headers: Object.fromEntries(response.headers),
          text: await response.text(),
        };
      },
      getJson: () => Promise.reject(new Error('unused')),
    };
    const accepting = createCachedSourceHttp(fetch404, f.store.cache, { sourceId: 'nasa_images', ttlMs: DAY_MS });
    assert.equal((await accepting.getText(`${f.origin}/search?q=moon`, { acceptStatus })).status, 404);
    assert.equal(
      (await accepting.getText(`${f.origin}/search?q=moon`, { acceptStatus })).status,
      200,
      'the 404 was not stored',
    );
    assert.equal((await accepting.getText(`${f.origin}/search?q=moon`, { acceptStatus })).status, 200);
    assert.equal(f.hits.length, 2, 'the 200 was stored and served');
    await http.getText(`${f.origin}/search?q=moon`);
    assert.equal(f.hits.length, 2);
  } finally {
    await f.close();
  }
});

test('a stored answer that no longer parses is dropped and fetched again, not fatal', async () => {
  const f = await setup();
  try {
    const url = `${f.origin}/v1/search?query=cat`;
    const key = `json:${searchCacheKey('pexels', url)}`;
    await f.store.cache.put(key, {
      status: 200,
      url,
      headers: {},
      text: '{"trunc',
      stored_at: new Date().toISOString(),
      source: 'pexels',
    });
    const http = createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'pexels', ttlMs: DAY_MS });
    const answer = await http.getJson<{ results: unknown[] }>(url);
    assert.ok(Array.isArray(answer.data.results));
    assert.equal(f.hits.length, 1);
    f.store.flush();
    const again = await f.store.cache.get(key, DAY_MS);
    assert.equal(again?.text, answer.text, 'the broken entry was replaced by the fresh answer');
  } finally {
    await f.close();
  }
});

test('secrets never reach the cache key or the database', async () => {
  const f = await setup();
  try {
    const secret = 'pixabay-secret-1234567';
    const url = `${f.origin}/api/?key=${secret}&q=cat&page=2`;
    const key = searchCacheKey('pixabay', url, { Authorization: `Bearer ${secret}`, 'Accept-Language': 'en' });
    assert.ok(!key.includes(secret), key);
    assert.equal(
      searchCacheKey('pixabay', url, { Authorization: 'Bearer other' }),
      searchCacheKey('pixabay', `${f.origin}/api/?page=2&q=cat&key=another`),
      'credentials do not change the key',
    );
    assert.notEqual(
      searchCacheKey('pixabay', url, { 'Accept-Language': 'de' }),
      searchCacheKey('pixabay', url, { 'Accept-Language': 'en' }),
      'headers that change an answer do',
    );
    assert.equal(
      redactUrl(`https://u:p@x.test/a?client_id=abc&q=1`, 'mask'),
      'https://x.test/a?client_id=REDACTED&q=1',
    );

    const http = createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'pixabay', ttlMs: DAY_MS });
    await http.getJson(url, { headers: { Authorization: `Bearer ${secret}` } });
    f.store.flush();
    const db = new Database(databasePath(f.env.config), { readonly: true });
    const rows = db.prepare(`SELECT key, url, headers, text FROM search_cache`).all() as Record<string, string>[];
    db.close();
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(secret), JSON.stringify(rows));
  } finally {
    await f.close();
  }
});

test('a failed source run drops the answers it stored or was served; a successful run keeps them', async () => {
  const f = await setup();
  try {
    const url = `${f.origin}/images/search?text=cat`;
    const run = (): SourceHttp =>
      createCachedSourceHttp(f.http, f.store.cache, { sourceId: 'yandex_images', ttlMs: DAY_MS });
    const started = Date.now();
    await run().getText(url); // stored (say the page was a captcha the parser rejected)
    await recordSourceOutcome(f.store, {
      source: 'yandex_images',
      ok: true,
      error: null,
      durationMs: Date.now() - started,
      downloaded: 1,
      downloadMs: 5,
      at: new Date(),
    });
    await run().getText(url);
    assert.equal(f.hits.length, 1, 'kept after a successful run');

    const failedStart = Date.now();
    await run().getText(url); // served from the cache during the failing run
    await recordSourceOutcome(f.store, {
      source: 'yandex_images',
      ok: false,
      error: 'yandex_images: blocked: captcha',
      durationMs: Date.now() - failedStart,
      downloaded: 0,
      downloadMs: 0,
      at: new Date(),
    });
    await run().getText(url);
    assert.equal(f.hits.length, 2, 'dropped after the failed run that used it');
  } finally {
    await f.close();
  }
});

test('a cache hit after the run was cancelled is not returned', async () => {
  const f = await setup();
  try {
    const url = `${f.origin}/v1/images/?q=cat`;
    const controller = new AbortController();
    const http = createCachedSourceHttp(f.http, f.store.cache, {
      sourceId: 'openverse',
      ttlMs: DAY_MS,
      signal: controller.signal,
    });
    await http.getJson(url);
    controller.abort(new Error('deadline'));
    await assert.rejects(http.getJson(url), /deadline/);
  } finally {
    await f.close();
  }
});
