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
    sources: ['google_images'],
    limit: 10,
    type: 'image',
    created_at: '2025-10-02T12:00:00.000Z',
    started_at: null,
    finished_at: null,
    duration_ms: null,
    results: { downloaded, images: downloaded, videos: 0, source_stats: { google_images: emptySourceStats() }, successful_sources: [], failed_sources: [], files: [] },
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

  test('serves a running job\'s document at most runningStaleMs after newer events', async () => {
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
    const slow = cache.get('j1', async () => {
      await gate;
      return doc('running', 1);
    }, (d) => JSON.stringify(d));
    cache.observe(event('job_finished', 5));
    release();
    assert.equal(JSON.parse((await slow)!.body.toString()).status, 'running', 'the request that asked before the end gets what it read');
    now += 1;
    const after = await cache.get('j1', async () => doc('completed', 1), (d) => JSON.stringify(d));
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
      path: `q/urls/f_${i}.png`, source: 'urls' as const, kind: 'image' as const, url: `http://x/${i}.png`, candidate_id: `urls:${i}`, bytes: i,
      sha256: String(i).padStart(64, '0'), mime: 'image/png', width: 1, height: 1, title: i % 2 ? `t "${i}"` : null, page_url: null,
      thumbnail_url: null, author: null, license: null, license_url: null, duration_ms: 3, saved_at: '2025-10-02T12:00:00.000Z',
    });
    for (const n of [0, 1, 3, 50]) {
      d.results.files = Array.from({ length: n }, (_, i) => file(i));
      assert.equal(writer.write(d), JSON.stringify(d), `${n} files`);
    }
    d.results.files.splice(10, 1);
    assert.equal(writer.write(d), JSON.stringify(d), 'a removed file');
  });
});
