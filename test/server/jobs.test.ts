// Job operations over real HTTP: reading, listing with pages and filters, cancel, retry (failed
// sources only), the MAX_CONCURRENT_JOBS queue, and a restart that resumes interrupted jobs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobDocument, JobSummary, SourceId } from '../../src/core/types.ts';
import { call, serverFactory, submit, type TestServer } from './helpers.ts';

const server = serverFactory();

/**
 * Submits a job and resolves with its id once `source` has finished in it, with that source's
 * final status. It listens before submitting, so the event cannot be missed.
 */
async function submitUntilSourceEnds(
  s: TestServer,
  body: Record<string, unknown>,
  source: SourceId,
): Promise<{ id: string; status: string }> {
  const ended = new Map<string, string>();
  let notify = (): void => {};
  const off = s.jobs.subscribe((e) => {
    if (e.type !== 'source_finished' || e.source !== source) return;
    ended.set(e.job_id, e.stats.status);
    notify();
  });
  try {
    const id = await submit(s, body);
    const status = await new Promise<string>((resolve) => {
      notify = () => {
        const st = ended.get(id);
        if (st !== undefined) resolve(st);
      };
      notify();
    });
    return { id, status };
  } finally {
    off();
  }
}

describe('reading jobs', () => {
  test('GET /api/jobs/:id answers the job document with the seed field names', async () => {
    const s = await server();
    const id = await submit(s, { query: 'kestrel', sources: ['google_images', 'yandex_images'], limit: 2 });
    await s.jobs.wait(id);
    const answer = await call(s.url, 'GET', `/api/jobs/${id}`);
    assert.equal(answer.status, 200);
    const doc = answer.body as JobDocument;
    assert.equal(doc.job_id, id);
    assert.equal(doc.status, 'completed');
    assert.deepEqual(Object.keys(doc).slice(0, 4), ['job_id', 'status', 'query', 'sources']);
    assert.equal(doc.results.downloaded, 4);
    assert.deepEqual(doc.results.successful_sources.sort(), ['google_images', 'yandex_images']);
    assert.equal(doc.results.files.length, 4);
    assert.equal(doc.results.source_stats.google_images!.success, true);
    assert.deepEqual(doc, await s.jobs.get(id, { files: 100 }), 'the API answers exactly what the job service knows');
    // A conditional request for the same version is answered 304 without a body.
    const etag = answer.headers.get('etag');
    assert.ok(etag);
    const again = await call(s.url, 'GET', `/api/jobs/${id}`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
  });

  test('GET /api/jobs pages newest first and filters by status', async () => {
    const s = await server();
    const ids: string[] = [];
    for (const q of ['a1', 'a2', 'a3']) {
      const id = await submit(s, { query: q, sources: ['google_images'], limit: 1 });
      await s.jobs.wait(id);
      ids.push(id);
    }
    const page1 = await call(s.url, 'GET', '/api/jobs?limit=2');
    const body1 = page1.body as { jobs: JobSummary[]; next_offset: number | null; limit: number; offset: number };
    assert.equal(body1.jobs.length, 2);
    assert.equal(body1.next_offset, 2);
    assert.deepEqual(Object.keys(body1.jobs[0]!).sort(), [
      'created_at',
      'downloaded',
      'finished_at',
      'job_id',
      'query',
      'sources',
      'status',
    ]);
    const page2 = await call(s.url, 'GET', '/api/jobs?limit=2&offset=2');
    const body2 = page2.body as { jobs: JobSummary[]; next_offset: number | null };
    assert.equal(body2.jobs.length, 1);
    assert.equal(body2.next_offset, null);
    assert.deepEqual(new Set([...body1.jobs, ...body2.jobs].map((j) => j.job_id)), new Set(ids));
    assert.equal(body1.jobs[0]!.job_id, ids[2], 'newest first');
    const completed = await call(s.url, 'GET', '/api/jobs?status=completed');
    assert.equal((completed.body as { jobs: JobSummary[] }).jobs.length, 3);
    const failed = await call(s.url, 'GET', '/api/jobs?status=failed');
    assert.equal((failed.body as { jobs: JobSummary[] }).jobs.length, 0);
  });
});

describe('cancel', () => {
  test(
    'cancels a running job, keeps what it saved, and refuses a second cancel with 409',
    { timeout: 60_000 },
    async () => {
      const s = await server({
        sources: ['google_images', 'bing_images'],
        hang: ['bing_images'],
        env: { SOURCE_TIMEOUT: '20' },
      });
      const { id, status } = await submitUntilSourceEnds(
        s,
        { query: 'badger', sources: ['google_images', 'bing_images'], limit: 2 },
        'google_images',
      );
      assert.equal(status, 'ok');
      const answer = await call(s.url, 'POST', `/api/jobs/${id}/cancel`);
      assert.equal(answer.status, 202, answer.text);
      assert.equal((answer.body as { cancelled: boolean }).cancelled, true);
      const done = await s.jobs.wait(id);
      assert.equal(done.status, 'cancelled');
      assert.equal(done.results.source_stats.google_images!.downloaded, 2, 'files saved before the cancel are kept');
      const again = await call(s.url, 'POST', `/api/jobs/${id}/cancel`);
      assert.equal(again.status, 409);
      assert.equal((again.body as { code: string }).code, 'CONFLICT');
      assert.equal((await call(s.url, 'POST', '/api/jobs/nope/cancel')).status, 404);
    },
  );
});

describe('retry', () => {
  test('reruns only the failed sources of an ended job', async () => {
    const s = await server({
      sources: ['google_images', 'bing_images'],
      hang: ['bing_images'],
      env: { BING_IMAGES_TIMEOUT: '0.5' },
    });
    const id = await submit(s, { query: 'stoat', sources: ['google_images', 'bing_images'], limit: 2 });
    const first = await s.jobs.wait(id);
    assert.equal(first.status, 'partial');
    assert.deepEqual(first.results.failed_sources, ['bing_images']);
    const googleRequests = s.sim.requests.google_images!.length;

    const busy = await call(s.url, 'POST', `/api/jobs/${id}/resume`);
    assert.equal(busy.status, 409, 'a partial job is retried, not resumed');

    const answer = await call(s.url, 'POST', `/api/jobs/${id}/retry`);
    assert.equal(answer.status, 202, answer.text);
    assert.equal((answer.body as { job_id: string }).job_id, id);
    const second = await s.jobs.wait(id);
    assert.equal(s.sim.requests.google_images!.length, googleRequests, 'the source that succeeded did not run again');
    const history = await s.jobs.history(id);
    const starts = history.filter((e) => e.type === 'job_started');
    assert.equal(starts.length, 2);
    const rerun = starts[1]!;
    assert.ok(rerun.type === 'job_started' && rerun.resumed);
    const rerunSources = history
      .filter((e) => e.type === 'source_started' && e.seq > rerun.seq)
      .map((e) => (e.type === 'source_started' ? e.source : ''));
    assert.deepEqual(rerunSources, ['bing_images']);
    assert.equal(second.results.source_stats.google_images!.downloaded, 2, 'the earlier files stay in the job');
  });

  test('refuses to retry a job with no failed source', async () => {
    const s = await server();
    const id = await submit(s, { query: 'otter', sources: ['google_images'], limit: 1 });
    await s.jobs.wait(id);
    const answer = await call(s.url, 'POST', `/api/jobs/${id}/retry`);
    assert.equal(answer.status, 409);
    assert.match((answer.body as { message: string }).message, /no failed source/);
  });
});

describe('the job queue', () => {
  test('runs at most MAX_CONCURRENT_JOBS at once and the rest in order', async () => {
    const s = await server({ sources: ['google_images'], latencyMs: 40, env: { MAX_CONCURRENT_JOBS: '1' } });
    const ids = [];
    for (const q of ['q1', 'q2', 'q3']) ids.push(await submit(s, { query: q, sources: ['google_images'], limit: 2 }));
    const statuses = await Promise.all(ids.map(async (id) => (await s.jobs.get(id))!.status));
    assert.deepEqual(statuses, ['running', 'queued', 'queued']);
    const docs = await Promise.all(ids.map((id) => s.jobs.wait(id)));
    for (let i = 1; i < docs.length; i++) {
      assert.ok(docs[i]!.started_at! >= docs[i - 1]!.finished_at!, `job ${i} started after job ${i - 1} ended`);
    }
  });
});

describe('a restart', () => {
  test('resumes the jobs the stopped server interrupted', { timeout: 60_000 }, async () => {
    const s = await server({
      sources: ['google_images', 'bing_images'],
      hang: ['bing_images'],
      env: { SOURCE_TIMEOUT: '30' },
    });
    const { id, status } = await submitUntilSourceEnds(
      s,
      { query: 'marten', sources: ['google_images', 'bing_images'], limit: 2 },
      'google_images',
    );
    assert.equal(status, 'ok');
    await s.close();
    const restarted = await s.restart({ BING_IMAGES_TIMEOUT: '0.5' });
    try {
      assert.deepEqual(restarted.resumed, [id]);
      assert.match(restarted.stderrText(), new RegExp(`resumed 1 interrupted job\\(s\\): ${id}`));
      const done = await restarted.jobs.wait(id);
      assert.equal(done.status, 'partial');
      assert.equal(done.results.source_stats.google_images!.downloaded, 2, 'files of the first run are kept');
      assert.equal(done.results.source_stats.bing_images!.error, 'Timeout after 0.5s');
      // A second restart has nothing left to resume.
      await restarted.close();
      const third = await s.restart();
      assert.deepEqual(third.resumed, []);
      await third.close();
    } finally {
      await restarted.close();
    }
  });
});
