// GET /api/jobs/:id/events over real HTTP: the whole history then live events, in order, each
// once, ending after job_finished; resuming after Last-Event-ID; 204 when the client has seen the
// end; one job_finished for a job that ended before the server started; keep-alive comments;
// listeners removed when the client goes away.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.ts';
import type { RunnerEvent } from '../../src/core/events.ts';
import { emptySourceStats, type JobDocument } from '../../src/core/types.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { openEngine } from '../../src/jobs/engine.ts';
import type { JobService } from '../../src/jobs/service.ts';
import { openStore } from '../../src/store/open.ts';
import { buildApp } from '../../src/server/app.ts';
import { call, readSse, serverFactory, submit, type SseMessage } from './helpers.ts';

const server = serverFactory();

function events(messages: SseMessage[]): RunnerEvent[] {
  return messages.map((m) => JSON.parse(m.data) as RunnerEvent);
}

/** Every message's id is its event's seq and its name the event's type; seqs run from `first` without a gap. */
function assertContiguous(messages: SseMessage[], first: number): void {
  messages.forEach((m, i) => {
    const event = JSON.parse(m.data) as RunnerEvent;
    assert.equal(event.seq, first + i, `message ${i} has seq ${event.seq}, expected ${first + i}`);
    assert.equal(m.id, String(event.seq));
    assert.equal(m.event, event.type);
  });
}

describe('the event stream of a job', () => {
  test('replays an ended job from its start and ends after job_finished', async () => {
    const s = await server();
    const id = await submit(s, { query: 'fox', sources: ['google_images', 'yandex_images'], limit: 2 });
    await s.jobs.wait(id);
    const result = await readSse(`${s.url}/api/jobs/${id}/events`);
    assert.equal(result.status, 200);
    assert.match(result.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(result.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(result.ended, true, 'the server ends the stream');
    assertContiguous(result.messages, 1);
    const got = events(result.messages);
    assert.equal(got[0]!.type, 'job_started');
    assert.equal(got.at(-1)!.type, 'job_finished');
    assert.ok(got.filter((e) => e.type === 'file_saved').length >= 2);
    assert.deepEqual(got, await s.jobs.history(id), 'the stream carries the stored history, event for event');
  });

  test('a client connected while the job runs sees every event once, live, in order', async () => {
    const s = await server({ latencyMs: 60 });
    const id = await submit(s, { query: 'owl', sources: ['google_images', 'yandex_images'], limit: 4 });
    const result = await readSse(`${s.url}/api/jobs/${id}/events`, { timeoutMs: 15_000 });
    assert.equal(result.ended, true);
    assertContiguous(result.messages, 1);
    const got = events(result.messages);
    assert.equal(got.at(-1)!.type, 'job_finished');
    assert.deepEqual(got, await s.jobs.history(id));
  });

  test('reconnecting with Last-Event-ID resumes right after that event, without gap or duplicate', async () => {
    const s = await server({ latencyMs: 60 });
    const id = await submit(s, { query: 'heron', sources: ['google_images', 'yandex_images'], limit: 4 });
    const first = await readSse(`${s.url}/api/jobs/${id}/events`, { stop: (m) => m.length >= 5 });
    assert.equal(first.ended, false, 'the job was still running when the client left');
    // The client processed five events, then its connection dropped.
    first.messages.length = 5;
    assertContiguous(first.messages, 1);
    const lastId = first.messages.at(-1)!.id!;
    const second = await readSse(`${s.url}/api/jobs/${id}/events`, {
      headers: { 'last-event-id': lastId },
      timeoutMs: 15_000,
    });
    assert.equal(second.ended, true);
    assertContiguous(second.messages, Number(lastId) + 1);
    const all = [...events(first.messages), ...events(second.messages)];
    assert.deepEqual(all, await s.jobs.history(id));
    // `?after=` does the same for clients that cannot set the header.
    const viaQuery = await readSse(`${s.url}/api/jobs/${id}/events?after=${lastId}`);
    assert.deepEqual(events(viaQuery.messages), events(second.messages));
  });

  test("answers 204 to a client that has already seen an ended job's last event", async () => {
    const s = await server();
    const id = await submit(s, { query: 'lynx', sources: ['google_images'], limit: 1 });
    await s.jobs.wait(id);
    const history = await s.jobs.history(id);
    const last = history.at(-1)!;
    assert.equal(last.type, 'job_finished');
    const done = await readSse(`${s.url}/api/jobs/${id}/events`, { headers: { 'last-event-id': String(last.seq) } });
    assert.equal(done.status, 204);
    const before = await readSse(`${s.url}/api/jobs/${id}/events`, {
      headers: { 'last-event-id': String(last.seq - 1) },
    });
    assert.equal(before.status, 200);
    assert.deepEqual(events(before.messages), [last]);
  });

  test('sends keep-alive comments while nothing happens', async () => {
    const s = await server({
      sources: ['google_images', 'bing_images'],
      hang: ['bing_images'],
      heartbeatMs: 100,
      env: { SOURCE_TIMEOUT: '5' },
    });
    const id = await submit(s, { query: 'mole', sources: ['bing_images'], limit: 1 });
    const result = await readSse(`${s.url}/api/jobs/${id}/events`, {
      stop: (_m, comments) => comments.filter((c) => c === 'keep-alive').length >= 2,
    });
    assert.ok(result.comments.filter((c) => c === 'keep-alive').length >= 2);
    assert.equal(result.ended, false);
    assert.equal((await call(s.url, 'POST', `/api/jobs/${id}/cancel`)).status, 202);
    await s.jobs.wait(id);
  });

  test('is a JSON 404 for an unknown job', async () => {
    const s = await server();
    const answer = await call(s.url, 'GET', '/api/jobs/no-such-job/events');
    assert.equal(answer.status, 404);
    assert.equal((answer.body as { code: string }).code, 'NOT_FOUND');
  });
});

describe('a job that ended before the server started', () => {
  test('gets one job_finished carrying its document', async () => {
    const s = await server();
    const dir = s.dir;
    await s.close();
    // A job recorded by an earlier process whose events were never stored (an older version, a crash).
    const config = loadConfig(
      { DATA_DIR: join(dir, 'data'), DOWNLOAD_DIR: join(dir, 'downloads'), LOG_DIR: join(dir, 'logs') },
      {},
    );
    const store = await openStore(config);
    const doc: JobDocument = {
      job_id: 'old-job-1',
      status: 'queued',
      query: 'ancient',
      queries: ['ancient'],
      sources: ['google_images'],
      limit: 1,
      type: 'image',
      created_at: '2025-10-02T12:30:00.000Z',
      started_at: null,
      finished_at: null,
      duration_ms: null,
      results: {
        filtered: 0,
        filtered_reasons: { min_width: 0, min_height: 0, orientation: 0, license: 0 },
        near_duplicates: 0,
        query_stats: {},
        downloaded: 0,
        images: 0,
        videos: 0,
        source_stats: { google_images: emptySourceStats() },
        successful_sources: [],
        failed_sources: [],
        files: [],
      },
    };
    await store.jobs.create(doc, { query: 'ancient', sources: ['google_images'], limit: 1, type: 'image' });
    await store.jobs.update('old-job-1', {
      status: 'completed',
      started_at: '2025-10-02T12:30:00.000Z',
      finished_at: '2025-10-02T12:30:05.000Z',
      duration_ms: 5000,
    });
    await store.close();

    const restarted = await s.restart();
    try {
      const result = await readSse(`${restarted.url}/api/jobs/old-job-1/events`);
      assert.equal(result.status, 200);
      assert.equal(result.ended, true);
      assert.equal(result.messages.length, 1);
      const finished = events(result.messages)[0]!;
      assert.equal(finished.type, 'job_finished');
      assert.equal(finished.seq, 1);
      assert.equal(result.messages[0]!.id, '1');
      if (finished.type !== 'job_finished') return;
      assert.equal(finished.status, 'completed');
      assert.equal(finished.job.job_id, 'old-job-1');
      assert.equal(finished.job.query, 'ancient');
      // Having seen it, the client is told there is nothing more.
      const again = await readSse(`${restarted.url}/api/jobs/old-job-1/events`, { headers: { 'last-event-id': '1' } });
      assert.equal(again.status, 204);
    } finally {
      await restarted.close();
    }
  });
});

describe('listeners of the event stream', () => {
  test('are removed when the client disconnects', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harvester-sse-'));
    const sim = await startSimulation({ sources: ['bing_images'], hang: ['bing_images'] });
    const config = loadConfig(
      {
        ...sim.env,
        DATA_DIR: join(dir, 'data'),
        DOWNLOAD_DIR: join(dir, 'downloads'),
        LOG_DIR: join(dir, 'logs'),
        SOURCE_TIMEOUT: '10',
        RATE_LIMIT_PER_MINUTE: '0',
      },
      {},
    );
    const engine = await openEngine(config);
    const { store, jobs: manager } = engine;
    // The real job service, counting its subscribers.
    let subscribers = 0;
    let unsubscribed = (): void => {};
    const jobs: JobService = Object.assign(Object.create(manager) as JobService, {
      subscribe(listener: (e: RunnerEvent) => void) {
        subscribers++;
        const off = manager.subscribe(listener);
        return () => {
          subscribers--;
          off();
          unsubscribed();
        };
      },
    });
    const { app } = await buildApp({
      config,
      jobs,
      store,
      output: engine.output(config.downloadDir),
      http: engine.http,
      webRoot: null,
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const baseline = subscribers;
      const gone = new Promise<void>((resolve) => (unsubscribed = resolve));
      const doc = await jobs.submit({ query: 'vole', sources: ['bing_images'], limit: 1, type: 'image' });
      const controller = new AbortController();
      const response = await fetch(`${url}/api/jobs/${doc.job_id}/events`, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read(); // the stream is open
      assert.equal(subscribers, baseline + 1);
      controller.abort();
      await reader.read().catch(() => {});
      await gone;
      assert.equal(subscribers, baseline, 'the stream unsubscribed when its client went away');
      await jobs.cancel(doc.job_id);
      await jobs.wait(doc.job_id);
    } finally {
      await app.close();
      await engine.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
