// The job document cache: exact while no event arrives, a running job's document at most
// runningStaleMs late, never late about a start or an end, one load for concurrent misses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunnerEvent } from '../../src/core/events.ts';
import { emptySourceStats, type JobDocument, type JobStatus } from '../../src/core/types.ts';
import { createJobDocumentCache } from '../../src/server/job-document-cache.ts';

function doc(status: JobStatus, downloaded: number): JobDocument {
  return {
    job_id: 'j1',
    status,
    query: 'q',
    queries: ['q'],
    sources: ['google_images'],
    limit: 10,
    type: 'image',
    created_at: '2025-10-02T12:00:00.000Z',
    started_at: null,
    finished_at: null,
    duration_ms: null,
    results: {
      filtered: 0,
      filtered_reasons: { min_width: 0, min_height: 0, orientation: 0, license: 0 },
      near_duplicates: 0,
      query_stats: {},
      downloaded,
      images: downloaded,
      videos: 0,
      source_stats: { google_images: emptySourceStats() },
      successful_sources: [],
      failed_sources: [],
      files: [],
    },
  };
}

function event(type: RunnerEvent['type'], seq: number): RunnerEvent {
  return { type, job_id: 'j1', ts: '2025-10-02T12:00:00.000Z', seq } as RunnerEvent;
}

function setup() {
  let now = 0;
  let current = doc('running', 0);
  let loads = 0;
  const cache = createJobDocumentCache({ maxBytes: 1 << 20, runningStaleMs: 100, maxAgeMs: 2000, nowMs: () => now });
  const read = async () => {
    const got = await cache.get(
      'j1',
      async () => {
        loads++;
        return structuredClone(current);
      },
      (d) => JSON.stringify(d),
    );
    return JSON.parse(got!.body.toString()) as JobDocument;
  };
  return {
    cache,
    read,
    loads: () => loads,
    set: (d: JobDocument) => (current = d),
    advance: (ms: number) => (now += ms),
  };
}

describe('the job document cache', () => {
  test('serves the same document while no event arrives, until its maximum age', async () => {
    const t = setup();
    t.set(doc('completed', 3));
    await t.read();
    await t.read();
    assert.equal(t.loads(), 1);
    t.advance(2000);
    await t.read();
    assert.equal(t.loads(), 2, 'an old entry is read again');
  });

  test("serves a running job's document at most runningStaleMs after newer events", async () => {
    const t = setup();
    await t.read();
    t.set(doc('running', 1));
    t.cache.observe(event('file_saved', 2));
    t.advance(50);
    assert.equal((await t.read()).results.downloaded, 0, 'still within 100 ms');
    t.advance(60);
    assert.equal((await t.read()).results.downloaded, 1, 'refreshed after 100 ms');
    assert.equal(t.loads(), 2);
  });

  test('never serves a finished job as running', async () => {
    const t = setup();
    await t.read();
    t.set(doc('completed', 4));
    t.cache.observe(event('job_finished', 9));
    assert.equal((await t.read()).status, 'completed');
  });

  test('does not keep a load that an end overtook', async () => {
    let now = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const cache = createJobDocumentCache({ maxBytes: 1 << 20, nowMs: () => now });
    const slow = cache.get(
      'j1',
      async () => {
        await gate;
        return doc('running', 1);
      },
      (d) => JSON.stringify(d),
    );
    cache.observe(event('job_finished', 5));
    release();
    assert.equal(
      JSON.parse((await slow)!.body.toString()).status,
      'running',
      'the request that asked before the end gets what it read',
    );
    now += 1;
    const after = await cache.get(
      'j1',
      async () => doc('completed', 1),
      (d) => JSON.stringify(d),
    );
    assert.equal(JSON.parse(after!.body.toString()).status, 'completed');
  });

  test('concurrent misses share one load, and invalidate drops the entry', async () => {
    const t = setup();
    await Promise.all([t.read(), t.read(), t.read()]);
    assert.equal(t.loads(), 1);
    t.cache.invalidate('j1');
    await t.read();
    assert.equal(t.loads(), 2);
  });
});

describe('the job document writer', () => {
  test('writes exactly what JSON.stringify writes, reusing entries across growing documents', async () => {
    const { createJobDocumentWriter } = await import('../../src/server/job-document-json.ts');
    const writer = createJobDocumentWriter();
    const d = doc('running', 0);
    d.query = 'tricky "files":[] \u0000 query';
    const file = (i: number) => ({
      path: `q/urls/f_${i}.png`,
      query: 'q',
      phash: null,
      source: 'urls' as const,
      kind: 'image' as const,
      url: `http://x/${i}.png`,
      candidate_id: `urls:${i}`,
      bytes: i,
      sha256: String(i).padStart(64, '0'),
      mime: 'image/png',
      width: 1,
      height: 1,
      title: i % 2 ? `t "${i}"` : null,
      page_url: null,
      thumbnail_url: null,
      author: null,
      license: null,
      license_url: null,
      duration_ms: 3,
      saved_at: '2025-10-02T12:00:00.000Z',
    });
    for (const n of [0, 1, 3, 50]) {
      d.results.files = Array.from({ length: n }, (_, i) => file(i));
      assert.equal(writer.write(d), JSON.stringify(d), `${n} files`);
    }
    d.results.files.splice(10, 1);
    assert.equal(writer.write(d), JSON.stringify(d), 'a removed file');
  });
});

describe('the job document cache over many jobs', () => {
  function many(options: { maxEntries?: number; maxBytes?: number } = {}) {
    let now = 0;
    const loads = new Map<string, number>();
    const cache = createJobDocumentCache({
      maxBytes: options.maxBytes ?? 1 << 20,
      maxEntries: options.maxEntries,
      runningStaleMs: 100,
      maxAgeMs: 2000,
      nowMs: () => now,
    });
    const body = (id: string) => JSON.stringify({ ...doc('completed', 3), job_id: id });
    const read = async (id: string) => {
      const got = await cache.get(
        id,
        async () => {
          loads.set(id, (loads.get(id) ?? 0) + 1);
          return { ...doc('completed', 3), job_id: id };
        },
        (d) => JSON.stringify(d),
      );
      return got!.body.toString();
    };
    return { cache, read, body, loads: (id: string) => loads.get(id) ?? 0, advance: (ms: number) => (now += ms) };
  }

  test('drops documents past their age instead of keeping them until the size cap, serving the same bytes', async () => {
    const t = many();
    for (let i = 0; i < 10; i++) assert.equal(await t.read(`old${i}`), t.body(`old${i}`));
    const perDocument = t.cache.size().bytes / 10;
    assert.deepEqual(t.cache.size(), { entries: 10, bytes: perDocument * 10 });

    t.advance(2000);
    // Asking again for an expired one reloads it (same bytes) and the sweep on that remember
    // drops the nine nobody asked for.
    assert.equal(await t.read('old0'), t.body('old0'));
    assert.equal(t.loads('old0'), 2);
    assert.deepEqual(t.cache.size(), { entries: 1, bytes: perDocument });

    // A fresh entry is still served from the cache.
    t.advance(500);
    assert.equal(await t.read('old0'), t.body('old0'));
    assert.equal(t.loads('old0'), 2);

    // Another job's remember after old0 expired sweeps it too.
    t.advance(1500);
    await t.read('new');
    assert.deepEqual(t.cache.size(), { entries: 1, bytes: Buffer.byteLength(t.body('new')) });
  });

  test('keeps at most maxEntries documents, the least recently used out first', async () => {
    const t = many({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) await t.read(id);
    await t.read('a'); // a is now the most recently used
    await t.read('d');
    assert.equal(t.cache.size().entries, 3);
    for (const id of ['a', 'c', 'd']) await t.read(id);
    assert.deepEqual([t.loads('a'), t.loads('c'), t.loads('d')], [1, 1, 1]);
    await t.read('b');
    assert.equal(t.loads('b'), 2, 'b was pushed out and had to be loaded again');
  });
});
