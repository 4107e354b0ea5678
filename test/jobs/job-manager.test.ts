// The JobService contract (src/jobs/service.ts) on real parts: validation before anything is
// created, the queue, cancel, resume after an interruption, retry of failed sources, shutdown.
import { strict as assert } from 'node:assert';
import { afterEach, describe, test } from 'node:test';
import { ConfigError, ConflictError, NotFoundError } from '../../src/core/errors.ts';
import type { JobSpec } from '../../src/core/types.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { failingServer, listFiles, mediaRequests, openHarness, type Harness } from './harness.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function harness(...args: Parameters<typeof openHarness>): Promise<Harness> {
  const h = await openHarness(...args);
  cleanups.push(() => h.close());
  return h;
}

function fileSaved(h: Harness, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = h.service.subscribe((e) => {
      if (e.type === 'file_saved' && ++seen === count) {
        off();
        resolve();
      }
    });
  });
}

describe('job service: submit', () => {
  test('refuses a bad spec with a message naming the field, and creates nothing', async () => {
    const h = await harness({ sim: { sources: ['pexels'] } });
    const bad: [unknown, RegExp][] = [
      [
        { query: 'x', sources: ['pexels'], limit: 0, type: 'image' },
        /limit must be an integer from 1 to 500 \(got 0\)/,
      ],
      [
        { query: 'x', sources: ['pexels'], limit: 501, type: 'image' },
        /limit must be an integer from 1 to 500 \(got 501\)/,
      ],
      [{ query: 'x', sources: ['pexels'], limit: 2.5, type: 'image' }, /limit/],
      [
        { query: 'x', sources: ['pexels', 'flickr'], limit: 1, type: 'image' },
        /unknown source "flickr" \(known: google_images, /,
      ],
      [
        { query: 'x', sources: ['pexels'], limit: 1, type: 'gif' },
        /type must be one of image, video, any \(got "gif"\)/,
      ],
      [{ query: '   ', sources: ['pexels'], limit: 1, type: 'image' }, /query must be a non-empty string/],
      [
        { query: 'x'.repeat(201), sources: ['pexels'], limit: 1, type: 'image' },
        /query must be at most 200 characters/,
      ],
      [{ query: 'x', sources: ['pexels'], limit: 1, type: 'image', extra: true }, /unknown field "extra"/],
      [
        { query: 'x', urls: ['ftp://example.com/a.png'], sources: [], limit: 1, type: 'any' },
        /URL 1 must be http or https/,
      ],
      [
        { query: 'x', sources: ['pexels'], limit: 1, type: 'image', options: { force: 'yes' } },
        /option force must be true or false/,
      ],
    ];
    for (const [spec, message] of bad) {
      await assert.rejects(
        h.service.submit(spec as JobSpec),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    }
    assert.deepEqual(await h.service.list(), []);
    assert.equal(h.events.length, 0);
  });

  test('runs at most MAX_CONCURRENT_JOBS at once; a queued job can be cancelled before it starts', async () => {
    const h = await harness({
      sim: { sources: ['pexels', 'openverse'], hang: ['openverse'] },
      env: { MAX_CONCURRENT_JOBS: '1', SOURCE_TIMEOUT: '10', OPENVERSE_TIMEOUT: '0.5' },
    });
    const first = await h.service.submit({ query: 'one', sources: ['openverse'], limit: 1, type: 'image' });
    const second = await h.service.submit({ query: 'two', sources: ['pexels'], limit: 1, type: 'image' });
    const third = await h.service.submit({ query: 'three', sources: ['pexels'], limit: 1, type: 'image' });
    assert.equal(first.status, 'running');
    assert.equal(second.status, 'queued');
    assert.equal(await h.service.cancel(second.job_id), true);
    const cancelled = await h.service.wait(second.job_id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.results.source_stats.pexels!.error, 'Cancelled before it started');
    const a = await h.service.wait(first.job_id);
    const c = await h.service.wait(third.job_id);
    assert.equal(a.status, 'failed');
    assert.equal(c.status, 'completed');
    assert.ok(Date.parse(c.started_at!) >= Date.parse(a.finished_at!), 'the third job waited for the first');
    assert.ok(h.events.some((e) => e.job_id === second.job_id && e.type === 'job_finished'));
    assert.ok(!h.events.some((e) => e.job_id === second.job_id && e.type === 'job_started'));
  });

  test('shutdown interrupts queued and running jobs and refuses new ones', async () => {
    const h = await harness({
      sim: { sources: ['openverse'], hang: ['openverse'] },
      env: { MAX_CONCURRENT_JOBS: '1', SOURCE_TIMEOUT: '30' },
    });
    const running = await h.service.submit({ query: 'one', sources: ['openverse'], limit: 1, type: 'image' });
    const queued = await h.service.submit({ query: 'two', sources: ['openverse'], limit: 1, type: 'image' });
    const started = performance.now();
    await h.service.shutdown({ drainMs: 100 });
    assert.ok(performance.now() - started < 1500);
    assert.equal((await h.store.jobs.get(running.job_id))!.status, 'interrupted');
    assert.equal((await h.store.jobs.get(queued.job_id))!.status, 'interrupted');
    await assert.rejects(
      h.service.submit({ query: 'three', sources: ['openverse'], limit: 1, type: 'image' }),
      ConflictError,
    );
  });
});

describe('job service: resume and retry', () => {
  test('resume finishes an interrupted job without downloading again what it saved', async () => {
    const h1 = await openHarness({
      sim: { sources: ['pexels', 'openverse'], hang: ['openverse'] },
      env: { MAX_DOWNLOADS_PER_SOURCE: '1', URLS_TIMEOUT: '30' },
    });
    cleanups.push(() => h1.close());
    const media = (k: string): string => `${h1.sim.origins.pexels}/__media/${k}.png`;
    const urls = [media('a'), media('b'), `${h1.sim.origins.openverse}/__media/hang.png`, media('c')];
    const twoSaved = fileSaved(h1, 2);
    const { job_id } = await h1.service.submit({ query: 'resume me', sources: [], limit: 4, type: 'any', urls });
    await twoSaved;
    await h1.service.shutdown({ drainMs: 0 });
    const interrupted = await h1.store.jobs.get(job_id);
    assert.equal(interrupted!.status, 'interrupted');
    assert.equal(interrupted!.results.files.length, 2);
    const firstRunEvents = (await h1.store.events.list(job_id)).length;

    // Another process picks it up; the hanging URL now gets a short deadline.
    const h2 = await h1.restart({ MAX_DOWNLOADS_PER_SOURCE: '2', URLS_TIMEOUT: '0.8' });
    cleanups.push(() => h2.close());
    await assert.rejects(h2.service.retry(job_id), ConflictError);
    const queued = await h2.service.resume(job_id);
    assert.ok(queued.status === 'queued' || queued.status === 'running');
    const doc = await h2.service.wait(job_id);
    assert.equal(doc.status, 'partial');
    assert.deepEqual(doc.results.files.map((f) => f.path).sort(), [
      'resume-me/urls/resume-me_001.png',
      'resume-me/urls/resume-me_002.png',
      'resume-me/urls/resume-me_003.png',
    ]);
    assert.equal(doc.results.source_stats.urls!.downloaded, 3);
    assert.equal(doc.results.source_stats.urls!.error, 'Timeout after 0.8s');
    for (const k of ['a', 'b', 'c']) {
      assert.equal(
        mediaRequests(h1.sim, 'pexels').filter((p) => p.startsWith(`/__media/${k}.png`)).length,
        1,
        `${k} downloaded once`,
      );
    }
    const history = await h2.service.history(job_id);
    assert.deepEqual(
      history.map((e) => e.seq),
      history.map((_, i) => i + 1),
    );
    const resumedStart = history[firstRunEvents]!;
    assert.equal(resumedStart.type, 'job_started');
    assert.equal(resumedStart.type === 'job_started' && resumedStart.resumed, true);
    await assert.rejects(h2.service.resume(job_id), ConflictError);
    await assert.rejects(h2.service.resume('no-such-job'), NotFoundError);
  });

  test('of two services resuming the same interrupted job at once, exactly one runs it', async () => {
    const h1 = await openHarness({ sim: { sources: ['openverse'], hang: ['openverse'] }, env: { URLS_TIMEOUT: '30' } });
    cleanups.push(() => h1.close());
    const urls = [`${h1.sim.origins.openverse}/__media/hang.png`];
    const { job_id } = await h1.service.submit({ query: 'race', sources: [], limit: 1, type: 'any', urls });
    await h1.service.shutdown({ drainMs: 0 });
    assert.equal((await h1.store.jobs.get(job_id))!.status, 'interrupted');

    const env = { URLS_TIMEOUT: '0.3' };
    const a = await h1.restart(env);
    cleanups.push(() => a.close());
    const b = await openHarness({ dir: h1.dir, simulation: h1.sim, env });
    cleanups.push(() => b.close());
    const outcomes = await Promise.allSettled([a.service.resume(job_id), b.service.resume(job_id)]);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'one service takes the job');
    const refused = outcomes.find((o) => o.status === 'rejected');
    assert.ok(
      refused && refused.status === 'rejected' && refused.reason instanceof ConflictError,
      'the other is refused with a conflict',
    );
    const winner = outcomes[0]!.status === 'fulfilled' ? a : b;
    assert.equal((await winner.service.wait(job_id)).status, 'failed');
  });

  test('retry reruns only the sources whose error was set', async () => {
    const down = await failingServer((close) => cleanups.push(close));
    const h1 = await openHarness({
      sim: { sources: ['pexels', 'openverse'] },
      env: { OPENVERSE_BASE_URL: down, MAX_RETRIES_PER_SOURCE: '0' },
    });
    cleanups.push(() => h1.close());
    const { job_id } = await h1.service.submit({
      query: 'nature',
      sources: ['pexels', 'openverse'],
      limit: 2,
      type: 'image',
    });
    const first = await h1.service.wait(job_id);
    assert.equal(first.status, 'partial');
    assert.equal(first.results.source_stats.openverse!.error, 'HTTP 500');
    const pexelsMedia = mediaRequests(h1.sim, 'pexels').length;

    // The retry runs with another DOWNLOAD_DIR: the job's files still go to the folder it started with.
    const h2 = await h1.restart({
      OPENVERSE_BASE_URL: h1.sim.origins.openverse!,
      DOWNLOAD_DIR: join(h1.dir, 'elsewhere'),
    });
    cleanups.push(() => h2.close());
    await h2.service.retry(job_id);
    const doc = await h2.service.wait(job_id);
    assert.equal(doc.status, 'completed');
    assert.equal(doc.results.downloaded, 4);
    assert.deepEqual(listFiles(join(h1.dir, 'downloads', 'nature', 'openverse')).length, 2);
    assert.equal(existsSync(join(h1.dir, 'elsewhere')), false);
    assert.equal(mediaRequests(h1.sim, 'pexels').length, pexelsMedia, 'pexels was not run again');
    assert.deepEqual(
      h2.events.filter((e) => e.type === 'source_started').map((e) => (e.type === 'source_started' ? e.source : '')),
      ['openverse'],
    );
    await assert.rejects(h2.service.retry(job_id), /has no failed source to retry/);
  });
});
