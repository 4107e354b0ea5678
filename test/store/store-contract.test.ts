// The store contract: what every Store implementation must do, seen only through the Store
// interface (src/store/store.ts). Each implementation in IMPLEMENTATIONS runs the same suite, so
// they cannot drift apart. What only one implementation has (SQLite's migrations, PRAGMAs, write
// batching) is tested in that implementation's own file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { NotFoundError, StoreError } from '../../src/core/errors.ts';
import type { RunnerEvent } from '../../src/core/events.ts';
import type { RunStats } from '../../src/core/job-results.ts';
import { emptySourceStats, type SourceCheck } from '../../src/core/types.ts';
import { getSourceHealth, listSourceHealth, recordSourceOutcome } from '../../src/jobs/source-health.ts';
import { databasePath, openStore } from '../../src/store/open.ts';
import { emptyHealthRecord, type SourceOutcome, type Store } from '../../src/store/store.ts';
import { createTestDatabase } from '../helpers/pg-database.ts';
import { makeFile, makeJob, makeSpec, tempEnv } from './store-fixtures.ts';

/** Options every implementation accepts: the clock, so that time-dependent rules can be tested. */
interface ContractOptions {
  now?: () => number;
}

/** One empty database of an implementation; `open` may be called several times (several processes). */
interface StoreSite {
  open(options?: ContractOptions): Promise<Store>;
  cleanup(): Promise<void>;
}

interface Implementation {
  name: string;
  site(): Promise<StoreSite>;
}

const IMPLEMENTATIONS: Implementation[] = [
  {
    name: 'SQLite',
    site: async () => {
      const env = tempEnv();
      return {
        open: (options) => openStore(env.config, options),
        cleanup: async () => env.cleanup(),
      };
    },
  },
  {
    name: 'PostgreSQL',
    site: async () => {
      const db = await createTestDatabase();
      const env = tempEnv({ DATABASE_URL: db.url });
      return {
        open: (options) => openStore(env.config, options),
        cleanup: async () => {
          assert.equal(existsSync(databasePath(env.config)), false, 'no SQLite file beside PostgreSQL');
          env.cleanup();
          await db.drop();
        },
      };
    },
  },
];

/** Runs `body` against a fresh database of `impl`, closing every store it opened. */
async function withSite(impl: Implementation, body: (open: StoreSite['open']) => Promise<void>): Promise<void> {
  const site = await impl.site();
  const opened: Store[] = [];
  try {
    await body(async (options) => {
      const store = await site.open(options);
      opened.push(store);
      return store;
    });
  } finally {
    for (const store of opened) await store.close();
    await site.cleanup();
  }
}

function sourceStarted(jobId: string, seq: number): RunnerEvent {
  return {
    type: 'source_started',
    job_id: jobId,
    ts: `t${seq}`,
    seq,
    run: 1,
    source: 'google_images',
    timeout_ms: 30000,
  };
}

function outcome(overrides: Partial<SourceOutcome> & Pick<SourceOutcome, 'at'>): SourceOutcome {
  return {
    source: 'bing_images',
    ok: false,
    error: 'HTTP 503',
    durationMs: 100,
    downloaded: 0,
    downloadMs: 0,
    ...overrides,
  };
}

for (const impl of IMPLEMENTATIONS) {
  // Each test has a database of its own, so they may run side by side.
  describe(`store contract: ${impl.name}`, { concurrency: 4 }, () => {
    test('a full job document round-trips, across a reopen', () =>
      withSite(impl, async (open) => {
        const spec = { ...makeSpec(), options: { noCache: true } };
        const store = await open();
        await store.jobs.create(makeJob('job-1', spec), spec);
        const google = {
          ...emptySourceStats(),
          status: 'ok' as const,
          success: true,
          downloaded: 2,
          images: 2,
          found: 7,
          bytes: 2003,
        };
        const bing = { ...emptySourceStats(), status: 'failed' as const, success: false, error: 'Timeout after 30s' };
        await store.jobs.saveSourceStats('job-1', 'google_images', google);
        await store.jobs.saveSourceStats('job-1', 'bing_images', bing);
        await store.files.record('job-1', makeFile(1));
        await store.files.record('job-1', makeFile(2));
        await store.jobs.update('job-1', {
          status: 'partial',
          finished_at: '2025-10-02T14:30:35.000Z',
          duration_ms: 30012,
        });
        await store.close();

        const again = await open();
        const doc = await again.jobs.get('job-1');
        assert.ok(doc);
        assert.equal(doc.status, 'partial');
        assert.equal(doc.duration_ms, 30012);
        assert.equal(doc.finished_at, '2025-10-02T14:30:35.000Z');
        assert.deepEqual(doc.sources, ['google_images', 'bing_images']);
        assert.deepEqual(doc.queries, ['nature']);
        assert.deepEqual(doc.results.source_stats.google_images, google);
        assert.deepEqual(doc.results.source_stats.bing_images, bing);
        assert.deepEqual(doc.results.successful_sources, ['google_images']);
        assert.deepEqual(doc.results.failed_sources, ['bing_images']);
        assert.equal(doc.results.downloaded, 2);
        assert.equal(doc.results.images, 2);
        assert.deepEqual(doc.results.files, [
          makeFile(1, { saved_at: doc.results.files[0]!.saved_at }),
          makeFile(2, { saved_at: doc.results.files[1]!.saved_at }),
        ]);
        assert.deepEqual(await again.jobs.getSpec('job-1'), spec);
        assert.equal(await again.jobs.get('nope'), null);
        assert.equal(await again.jobs.getSpec('nope'), null);
      }));

    test('files recorded with the job at creation are part of it, in order', () =>
      withSite(impl, async (open) => {
        const store = await open();
        const job = makeJob('with-files');
        job.results.files = [makeFile(1), makeFile(2)];
        job.results.source_stats.google_images = { ...emptySourceStats(), downloaded: 2 };
        await store.jobs.create(job, makeSpec());
        const doc = await store.jobs.get('with-files');
        assert.deepEqual(
          doc?.results.files.map((f) => f.path),
          [makeFile(1).path, makeFile(2).path],
        );
        assert.equal(doc?.results.source_stats.google_images?.downloaded, 2);
      }));

    test('an unknown job is a NotFoundError; a closed store refuses work with a StoreError', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await assert.rejects(store.jobs.update('ghost', { status: 'running' }), NotFoundError);
        await assert.rejects(store.jobs.update('ghost', {}), NotFoundError);
        await assert.rejects(store.jobs.transition('ghost', ['interrupted'], 'queued'), NotFoundError);
        await store.jobs.create(makeJob('j'), makeSpec());
        await store.jobs.update('j', {}); // nothing to change on a known job is fine
        await store.close();
        await assert.rejects(store.jobs.get('j'), StoreError);
        await assert.rejects(store.files.record('j', makeFile(1)), StoreError);
        await assert.rejects(store.events.list('j'), StoreError);
      }));

    test('a failing write is rejected alone; writes issued with it still land', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await store.jobs.create(makeJob('j'), makeSpec());
        await store.files.record('j', makeFile(1));
        await store.events.append(sourceStarted('j', 1));
        const results = await Promise.allSettled([
          store.files.record('j', makeFile(2)),
          store.files.record('j', makeFile(1)), // the same path again: a bug in the caller
          store.files.record('no-such-job', makeFile(3)),
          store.events.append(sourceStarted('j', 1)), // the same seq again
          store.events.append(sourceStarted('j', 2)),
          store.files.record('j', makeFile(4)),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled'],
        );
        for (const i of [1, 2, 3]) assert.ok((results[i] as PromiseRejectedResult).reason instanceof StoreError);
        const doc = await store.jobs.get('j');
        assert.deepEqual(
          doc?.results.files.map((f) => f.path),
          [makeFile(1).path, makeFile(2).path, makeFile(4).path],
        );
        assert.deepEqual(
          (await store.events.list('j')).map((e) => e.seq),
          [1, 2],
        );
      }));

    test('reads see writes issued before them, even when not awaited', () =>
      withSite(impl, async (open) => {
        const store = await open();
        const writes = [
          store.jobs.create(makeJob('r'), makeSpec()),
          store.files.record('r', makeFile(1)),
          store.events.append(sourceStarted('r', 1)),
        ];
        const doc = await store.jobs.get('r');
        assert.equal(doc?.results.files.length, 1);
        assert.equal(await store.events.lastSeq('r'), 1);
        await Promise.all(writes);
      }));

    test('jobs are listed newest first with their file counts, filtered by status and paged', () =>
      withSite(impl, async (open) => {
        const store = await open();
        const t0 = Date.parse('2025-10-02T10:00:00Z');
        for (let i = 0; i < 5; i++) {
          await store.jobs.create(makeJob(`j${i}`, makeSpec(`q${i}`), new Date(t0 + i * 1000)), makeSpec(`q${i}`));
        }
        // Same creation time: the later insertion is the newer.
        await store.jobs.create(makeJob('j5', makeSpec('q5'), new Date(t0 + 4000)), makeSpec('q5'));
        await store.files.record('j3', makeFile(1));
        await store.files.record('j3', makeFile(2));
        await store.jobs.update('j1', { status: 'completed', finished_at: new Date(t0 + 5000).toISOString() });
        const all = await store.jobs.list();
        assert.deepEqual(
          all.map((j) => j.job_id),
          ['j5', 'j4', 'j3', 'j2', 'j1', 'j0'],
        );
        assert.deepEqual(all[2], {
          job_id: 'j3',
          status: 'running',
          query: 'q3',
          sources: ['google_images', 'bing_images'],
          created_at: new Date(t0 + 3000).toISOString(),
          finished_at: null,
          downloaded: 2,
        });
        assert.equal(all[4]?.finished_at, new Date(t0 + 5000).toISOString());
        assert.deepEqual(
          (await store.jobs.list({ status: 'completed' })).map((j) => j.job_id),
          ['j1'],
        );
        assert.deepEqual(await store.jobs.list({ status: 'failed' }), []);
        assert.deepEqual(
          (await store.jobs.list({ limit: 2, offset: 2 })).map((j) => j.job_id),
          ['j3', 'j2'],
        );
        assert.deepEqual(
          (await store.jobs.list({ status: 'running', limit: 1, offset: 1 })).map((j) => j.job_id),
          ['j4'],
        );
      }));

    test('events are kept in seq order per job, replayed after a seq, and the last seq is known', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await store.jobs.create(makeJob('e'), makeSpec());
        await store.jobs.create(makeJob('other'), makeSpec());
        assert.equal(await store.events.lastSeq('e'), 0);
        assert.deepEqual(await store.events.list('e'), []);
        const events: RunnerEvent[] = [
          {
            type: 'job_started',
            job_id: 'e',
            ts: 't1',
            seq: 1,
            run: 1,
            query: 'nature',
            sources: ['google_images'],
            limit: 5,
            media_type: 'image',
            resumed: false,
          },
          sourceStarted('e', 2),
          {
            type: 'file_saved',
            job_id: 'e',
            ts: 't3',
            seq: 3,
            run: 1,
            source: 'google_images',
            file: makeFile(1),
            index: 0,
          },
        ];
        // Appended out of order: listed by seq.
        await store.events.append(events[2]!);
        await Promise.all([store.events.append(events[0]!), store.events.append(events[1]!)]);
        await store.events.append(sourceStarted('other', 1));
        assert.deepEqual(await store.events.list('e'), events);
        assert.deepEqual(await store.events.list('e', 1), events.slice(1));
        assert.deepEqual(await store.events.list('e', 3), []);
        assert.equal(await store.events.lastSeq('e'), 3);
        assert.equal(await store.events.lastSeq('other'), 1);
        await assert.rejects(store.events.append(events[0]!), StoreError);
      }));

    test('a file_saved event reads back with its file, also after the file is removed; candidates keep their nulls', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await store.jobs.create(makeJob('fs'), makeSpec());
        const kept = makeFile(1, { thumbnail_url: null, author: null, width: null });
        const gone = makeFile(2, { phash: 'ffee00112233aabb' });
        const unrecorded = makeFile(3);
        // Times as the runner writes them, and one that is not.
        const stamp = (seq: number) => ({
          job_id: 'fs',
          ts: seq === 4 ? 'not a time' : new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
          seq,
          run: 2,
        });
        const events: RunnerEvent[] = [
          {
            type: 'candidate_found',
            source: 'google_images',
            candidate_id: 'google_images:1',
            url: kept.url,
            kind: 'image',
            title: null,
            page_url: 'https://example.org/p/1',
            thumbnail_url: null,
            width: 640,
            height: null,
            ...stamp(1),
          },
          { type: 'file_saved', source: 'google_images', file: kept, index: 0, ...stamp(2) },
          { type: 'file_saved', source: 'google_images', file: gone, index: 1, ...stamp(3) },
          // Recorded without its file row (another writer's, or a row already gone): kept whole.
          { type: 'file_saved', source: 'google_images', file: unrecorded, index: 2, ...stamp(4) },
        ];
        await store.files.record('fs', kept);
        await store.files.record('fs', gone);
        for (const e of events) await store.events.append(e);
        // The same events, their fields in the same order.
        const sameEvents = (listed: RunnerEvent[]): void => {
          assert.deepEqual(listed, events);
          assert.deepEqual(listed.map(Object.keys), events.map(Object.keys));
        };
        sameEvents(await store.events.list('fs'));
        assert.equal(await store.files.remove('fs', [gone.path]), 1);
        sameEvents(await store.events.list('fs'));
        assert.deepEqual(await store.files.list('fs', { offset: 0, limit: 10 }), [kept]);
        // Another file at the removed path is a new file; the old event keeps the old one.
        const again = makeFile(2, { sha256: 'a'.repeat(64), bytes: 7 });
        await store.files.record('fs', again);
        await store.events.append({ type: 'file_saved', source: 'google_images', file: again, index: 1, ...stamp(5) });
        const listed = await store.events.list('fs', 2);
        assert.deepEqual(
          listed.map((e) => (e.type === 'file_saved' ? e.file : null)),
          [gone, unrecorded, again],
        );
      }));

    test('appendNext numbers events of one job from several writers without a duplicate or a gap', () =>
      withSite(impl, async (open) => {
        const a = await open();
        const b = await open();
        await a.jobs.create(makeJob('n'), makeSpec());
        await a.events.append(sourceStarted('n', 1));
        const recorded = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).events.appendNext(sourceStarted('n', 999))),
        );
        assert.deepEqual(
          recorded.map((e) => e.seq).sort((x, y) => x - y),
          Array.from({ length: 40 }, (_, i) => i + 2),
        );
        const history = await b.events.list('n');
        assert.deepEqual(
          history.map((e) => e.seq),
          Array.from({ length: 41 }, (_, i) => i + 1),
        );
        assert.deepEqual(
          history.slice(1),
          [...recorded].sort((x, y) => x.seq - y.seq),
          'each as it was returned',
        );
        assert.equal(await a.events.lastSeq('n'), 41);
        await assert.rejects(a.events.appendNext(sourceStarted('no-such-job', 1)), StoreError);
      }));

    test('the download archive finds earlier files by candidate id or content hash, newest first, excluding a job', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await store.jobs.create(makeJob('old'), makeSpec());
        await store.jobs.create(makeJob('new'), makeSpec());
        await store.files.record('old', makeFile(1));
        await store.files.record(
          'new',
          makeFile(2, { path: 'nature/google_images/nature_009.png', sha256: makeFile(1).sha256 }),
        );
        assert.equal(await store.files.findArchived({ candidateId: 'google_images:77' }), null);
        assert.equal(await store.files.findArchived({}), null);
        assert.equal(await store.files.findArchived({ candidateId: '', sha256: '' }), null);
        assert.deepEqual(await store.files.findArchived({ candidateId: 'google_images:1' }), {
          job_id: 'old',
          path: makeFile(1).path,
          candidate_id: 'google_images:1',
          sha256: makeFile(1).sha256,
        });
        // Same content saved by two jobs: the newest wins, unless it is the asking job's own.
        assert.equal((await store.files.findArchived({ sha256: makeFile(1).sha256 }))?.job_id, 'new');
        assert.equal(
          (await store.files.findArchived({ sha256: makeFile(1).sha256, excludeJobId: 'new' }))?.job_id,
          'old',
        );
        assert.equal(await store.files.findArchived({ candidateId: 'google_images:1', excludeJobId: 'old' }), null);
        // Either key matches; the newer of the two matches wins.
        assert.equal(
          (await store.files.findArchived({ candidateId: 'nope', sha256: makeFile(1).sha256, excludeJobId: 'new' }))
            ?.job_id,
          'old',
        );
        assert.equal(
          (await store.files.findArchived({ candidateId: 'google_images:1', sha256: makeFile(1).sha256 }))?.job_id,
          'new',
        );
        // Removed rows leave the archive.
        assert.equal(await store.files.remove('old', [makeFile(1).path, 'not/recorded.png']), 1);
        assert.equal(await store.files.remove('old', []), 0);
        assert.equal(await store.files.findArchived({ candidateId: 'google_images:1' }), null);
        assert.equal((await store.jobs.get('old'))?.results.files.length, 0);
      }));

    test('recordedPaths names the paths any job recorded', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await store.jobs.create(makeJob('a'), makeSpec());
        await store.jobs.create(makeJob('b'), makeSpec());
        await store.files.record('a', makeFile(1));
        await store.files.record('b', makeFile(2));
        assert.deepEqual(await store.files.recordedPaths([makeFile(2).path, 'x/y.png', makeFile(1).path]), [
          makeFile(2).path,
          makeFile(1).path,
        ]);
        assert.deepEqual(await store.files.recordedPaths([]), []);
      }));

    test('a pending file is cleared when the file is recorded, with or without its extension', () =>
      withSite(impl, async (open) => {
        let nowMs = Date.parse('2025-10-02T10:00:00Z');
        const store = await open({ now: () => nowMs });
        await store.jobs.create(makeJob('p'), makeSpec());
        await store.jobs.create(makeJob('q'), makeSpec());
        await store.files.addPending('p', 'nature/google_images/nature_001'); // extension not known yet
        await store.files.addPending('p', 'nature/google_images/nature_002.png');
        await store.files.addPending('p', 'nature/google_images/nature_003');
        nowMs += 1000;
        await store.files.addPending('q', 'nature/google_images/nature_001');
        await store.files.addPending('p', 'nature/google_images/nature_003'); // again: one row
        await store.files.record('p', makeFile(1));
        await store.files.record('p', makeFile(2));
        assert.deepEqual(await store.files.listPending('p'), [
          { job_id: 'p', path: 'nature/google_images/nature_003', created_at: new Date(nowMs).toISOString() },
        ]);
        assert.deepEqual(
          (await store.files.listPending()).map((f) => `${f.job_id} ${f.path}`),
          ['p nature/google_images/nature_003', 'q nature/google_images/nature_001'],
          "another job's pending file with the same name stays",
        );
        await store.files.removePending('p', 'nature/google_images/nature_003');
        await store.files.removePending('p', 'never/added');
        assert.deepEqual(await store.files.listPending('p'), []);
        assert.equal((await store.files.listPending()).length, 1);
      }));

    test('source health: failures count, the third cools the source, a success resets, a skipped run counts nothing', () =>
      withSite(impl, async (open) => {
        let nowMs = Date.parse('2025-10-02T10:00:00Z');
        const store = await open({ now: () => nowMs });
        const at = (): Date => new Date(nowMs);
        const fail = (error = 'HTTP 503') => recordSourceOutcome(store, outcome({ error, at: at() }));

        await fail();
        let h = await fail();
        assert.equal(h.consecutive_failures, 2);
        assert.equal(h.cooling_until, null);
        h = await fail('Timeout after 30s');
        assert.equal(h.consecutive_failures, 3);
        assert.equal(h.cooling_until, new Date(nowMs + 5 * 60_000).toISOString());
        assert.equal(h.last_error, 'Timeout after 30s');

        // A skipped (cooling) run neither counts as a run nor extends the cool-down.
        h = await recordSourceOutcome(
          store,
          outcome({ error: 'cooling down', durationMs: 0, at: at(), skipped: true }),
        );
        assert.equal(h.runs, 3);
        assert.equal(h.consecutive_failures, 3);

        nowMs += 6 * 60_000;
        assert.equal((await getSourceHealth(store.health, 'bing_images', nowMs)).cooling_until, null, 'cool-down over');
        h = await fail();
        assert.equal(h.cooling_until, new Date(nowMs + 10 * 60_000).toISOString(), 'fourth failure doubles');

        h = await recordSourceOutcome(
          store,
          outcome({ ok: true, error: null, durationMs: 900, downloaded: 4, downloadMs: 2000, at: at() }),
        );
        assert.equal(h.consecutive_failures, 0);
        assert.equal(h.cooling_until, null);
        assert.equal(h.runs, 5);
        assert.equal(h.successes, 1);
        assert.equal(h.success_rate, 0.2);
        assert.equal(h.avg_download_ms, 500);
        assert.equal(h.last_error, 'HTTP 503', 'the last error stays visible after a success');

        const list = await listSourceHealth(store.health, nowMs);
        assert.equal(list[0]?.source, 'google_images');
        assert.equal(list.find((x) => x.source === 'bing_images')?.runs, 5);
        assert.equal(list.find((x) => x.source === 'pexels')?.success_rate, null);
      }));

    test('source outcomes are listed oldest first, filtered by source, time and count', () =>
      withSite(impl, async (open) => {
        const store = await open();
        const t0 = Date.parse('2025-10-02T10:00:00Z');
        const recorded: SourceOutcome[] = [
          outcome({ at: new Date(t0), durationMs: 10 }),
          outcome({ source: 'pexels', ok: true, error: null, downloaded: 3, downloadMs: 30, at: new Date(t0 + 1000) }),
          outcome({ error: 'cooling down', durationMs: 0, at: new Date(t0 + 2000), skipped: true }),
          outcome({ ok: true, error: null, durationMs: 1234, downloaded: 2, downloadMs: 456, at: new Date(t0 + 3000) }),
        ];
        for (const o of recorded)
          await store.health.recordOutcome(o, (current) => ({ ...current, runs: current.runs + 1 }));
        assert.deepEqual(await store.health.listOutcomes(), recorded);
        assert.deepEqual(await store.health.listOutcomes({ source: 'bing_images' }), [
          recorded[0],
          recorded[2],
          recorded[3],
        ]);
        assert.deepEqual(await store.health.listOutcomes({ since: new Date(t0 + 2000) }), recorded.slice(2));
        assert.deepEqual(await store.health.listOutcomes({ limit: 2 }), recorded.slice(2), 'the newest ones');
        assert.equal((await store.health.get('bing_images')).record.runs, 2, 'a skipped run is not applied');
        assert.equal((await store.health.get('pexels')).record.runs, 1);
      }));

    test('the health record is stored as the rule computed it, with the last check beside it', () =>
      withSite(impl, async (open) => {
        const store = await open();
        const never = await store.health.get('pexels');
        assert.deepEqual(never, { record: emptyHealthRecord('pexels'), lastCheck: null });
        assert.equal(never.record.runs, 0);
        assert.equal(never.record.cooling_until, null);
        const at = new Date('2025-10-02T10:00:00Z');
        const stored = await store.health.recordOutcome(outcome({ at }), (current) => ({
          ...current,
          source: 'ignored: the store keeps the outcome source',
          runs: current.runs + 1,
          downloaded: 7,
          download_ms: 700,
          consecutive_failures: 1,
          last_error: 'HTTP 503',
          last_error_at: at.toISOString(),
          last_run_at: at.toISOString(),
          cooling_until: '2025-10-02T10:05:00.000Z',
        }));
        assert.equal(stored.source, 'bing_images');
        assert.deepEqual((await store.health.get('bing_images')).record, stored);

        const check: SourceCheck = {
          id: 'pexels',
          status: 'ok',
          found: 12,
          duration_ms: 321,
          detail: 'first: "A red fox"',
          checked_at: '2025-10-02T10:01:00.000Z',
        };
        await store.health.recordCheck(check);
        await store.health.recordCheck({ ...check, id: 'bing_images', status: 'blocked', found: 0 });
        const newer = { ...check, found: 13, checked_at: '2025-10-02T10:02:00.000Z' };
        await store.health.recordCheck(newer);
        assert.deepEqual(await store.health.get('pexels'), { record: never.record, lastCheck: newer });
        const list = await store.health.list();
        assert.deepEqual(
          list.map((h) => [h.record.source, h.record.runs, h.lastCheck?.status ?? null]),
          [
            ['bing_images', 1, 'blocked'],
            ['pexels', 0, 'ok'],
          ],
        );
      }));

    test('concurrent outcomes of one source from two stores lose no count', () =>
      withSite(impl, async (open) => {
        const a = await open();
        const b = await open();
        const at = new Date('2025-10-02T10:00:00Z');
        const bump = (current: { runs: number }) => ({ ...current, runs: current.runs + 1 }) as never;
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).health.recordOutcome(outcome({ at }), bump)),
        );
        assert.equal((await a.health.get('bing_images')).record.runs, 20);
        assert.equal((await b.health.listOutcomes()).length, 20);
      }));

    test('the search cache returns fresh answers only, and drops what it is told to', () =>
      withSite(impl, async (open) => {
        let nowMs = Date.parse('2025-10-02T10:00:00Z');
        const store = await open({ now: () => nowMs });
        const page = {
          status: 200,
          url: 'https://x/search?q=a',
          headers: { 'content-type': 'application/json' },
          text: '{"a":1}',
          stored_at: new Date(nowMs).toISOString(),
        };
        await store.cache.put('k', page);
        assert.deepEqual(await store.cache.get('k', 60_000), page);
        assert.equal(await store.cache.get('missing', 60_000), null);
        nowMs += 61_000;
        assert.equal(await store.cache.get('k', 60_000), null);
        assert.deepEqual(await store.cache.get('k', 120_000), page);
        await store.cache.put('k', { ...page, text: '{"a":2}', source: 'pexels' });
        assert.deepEqual(await store.cache.get('k', 120_000), { ...page, text: '{"a":2}', source: 'pexels' });
        await store.cache.delete('k');
        assert.equal(await store.cache.get('k', 120_000), null);
        await store.cache.delete('k');
      }));

    test('the search cache prunes old answers and drops a source’s answers stored or served since a time', () =>
      withSite(impl, async (open) => {
        let nowMs = Date.parse('2025-10-02T10:00:00Z');
        const store = await open({ now: () => nowMs });
        const page = (source: string, storedMs: number) => ({
          status: 200,
          url: `https://x/${source}`,
          headers: {},
          text: 'ok',
          stored_at: new Date(storedMs).toISOString(),
          source,
        });
        const t0 = nowMs;
        await store.cache.put('old-pexels', page('pexels', t0 - 10 * 60_000));
        await store.cache.put('served-pexels', page('pexels', t0 - 5 * 60_000));
        await store.cache.put('new-pexels', page('pexels', t0));
        await store.cache.put('new-bing', page('bing_images', t0));
        await store.cache.put('no-source', { ...page('x', t0), source: undefined });
        nowMs += 1000;
        assert.ok(await store.cache.get('served-pexels', 60 * 60_000), 'served during the failing run');

        assert.equal(await store.cache.deleteSource('pexels', t0), 2);
        assert.equal(await store.cache.get('new-pexels', 60 * 60_000), null);
        assert.equal(await store.cache.get('served-pexels', 60 * 60_000), null);
        assert.ok(await store.cache.get('old-pexels', 60 * 60_000), 'stored and served before the run');
        assert.ok(await store.cache.get('new-bing', 60 * 60_000), 'another source');
        assert.equal(await store.cache.deleteSource('pexels', t0 + 60 * 60_000), 0);

        assert.equal(await store.cache.prune(7 * 60_000), 1);
        assert.equal(await store.cache.get('old-pexels', 60 * 60_000), null);
        assert.ok(await store.cache.get('new-bing', 60 * 60_000));
        assert.ok(await store.cache.get('no-source', 60 * 60_000));
        assert.equal(await store.cache.prune(0), 2);
      }));

    test('markInterrupted takes the jobs of owners gone silent and leaves live owners and itself alone', () =>
      withSite(impl, async (open) => {
        let nowMs = Date.now();
        const clock = { now: () => nowMs };
        const live = await open(clock);
        await live.jobs.create(makeJob('live'), makeSpec());
        await live.jobs.create({ ...makeJob('queued'), status: 'queued' }, makeSpec());
        await live.jobs.create({ ...makeJob('done'), status: 'completed' }, makeSpec());
        await live.jobs.create({ ...makeJob('failed'), status: 'failed' }, makeSpec());

        const second = await open(clock);
        assert.deepEqual(await second.jobs.markInterrupted(), [], 'the owner is alive');
        assert.equal((await second.jobs.get('live'))?.status, 'running');

        // The owner closes without finishing its jobs (a crash that left the rows): once its
        // heartbeat is stale they are taken.
        await live.close();
        nowMs += 10 * 60_000;
        assert.deepEqual(await second.jobs.markInterrupted({ includeQueued: false }), ['live'], 'running only');
        assert.deepEqual(
          await second.jobs.markInterrupted(),
          ['queued'],
          'a queued job of a dead process never starts',
        );
        assert.equal((await second.jobs.get('live'))?.status, 'interrupted');
        assert.equal((await second.jobs.get('queued'))?.status, 'interrupted');
        assert.equal((await second.jobs.get('done'))?.status, 'completed');
        assert.equal((await second.jobs.get('failed'))?.status, 'failed');
        assert.deepEqual(await second.jobs.markInterrupted(), []);

        // A store never marks its own jobs, however old its heartbeat.
        await second.jobs.create(makeJob('mine'), makeSpec());
        nowMs += 10 * 60_000;
        assert.deepEqual(await second.jobs.markInterrupted(), []);
      }));

    test('resuming a job makes the resuming store its owner', () =>
      withSite(impl, async (open) => {
        let nowMs = Date.now();
        const clock = { now: () => nowMs };
        const a = await open(clock);
        await a.jobs.create(makeJob('j'), makeSpec());
        await a.jobs.update('j', { status: 'interrupted' });
        const b = await open(clock);
        await b.jobs.update('j', { status: 'running', started_at: new Date(nowMs).toISOString() });
        // If `a` still owned the job it would never mark it; `b` owns it and has gone silent.
        await b.close();
        nowMs += 10 * 60_000;
        assert.deepEqual(await a.jobs.markInterrupted(), ['j']);
        // The same through a claim.
        assert.equal(await a.jobs.transition('j', ['interrupted'], 'queued'), true);
        const c = await open(clock);
        nowMs += 10 * 60_000;
        assert.deepEqual(await c.jobs.markInterrupted(), ['j']);
      }));

    test('a claim (transition) lets exactly one of several stores take a job', () =>
      withSite(impl, async (open) => {
        const stores = await Promise.all([open(), open(), open()]);
        const [a] = stores as [Store, Store, Store];
        await a.jobs.create(makeJob('j'), makeSpec());
        await a.jobs.update('j', { status: 'interrupted' });
        const claims = await Promise.all(
          stores.flatMap((s) => [
            s.jobs.transition('j', ['interrupted', 'cancelled'], 'queued'),
            s.jobs.transition('j', ['interrupted', 'cancelled'], 'queued'),
          ]),
        );
        assert.equal(claims.filter(Boolean).length, 1, `claims: ${claims.join(', ')}`);
        assert.equal((await a.jobs.get('j'))?.status, 'queued');
        assert.equal(await a.jobs.transition('j', ['interrupted'], 'queued'), false);
        assert.equal(await a.jobs.transition('j', ['queued'], 'cancelled'), true);
        assert.equal((await a.jobs.get('j'))?.status, 'cancelled');
      }));

    test('the runs of a several-query job are kept per query and source and make its query stats', () =>
      withSite(impl, async (open) => {
        const store = await open();
        const spec = { ...makeSpec('cats', ['google_images', 'bing_images']), queries: ['cats', 'dogs'] };
        await store.jobs.create(makeJob('m', spec), spec);
        assert.deepEqual(await store.jobs.listRunStats('m'), []);
        const ok = (downloaded: number) => ({
          ...emptySourceStats(),
          status: 'ok' as const,
          success: true,
          downloaded,
          images: downloaded,
        });
        const runs: RunStats[] = [
          { query: 1, source: 'google_images', stats: ok(1) },
          { query: 0, source: 'google_images', stats: ok(2) },
          { query: 0, source: 'bing_images', stats: { ...emptySourceStats(), status: 'running' } },
        ];
        for (const run of runs) await store.jobs.saveRunStats('m', run);
        await store.jobs.saveRunStats('m', { query: 0, source: 'bing_images', stats: ok(3) }); // replaces
        assert.deepEqual(await store.jobs.listRunStats('m'), [
          { query: 0, source: 'bing_images', stats: ok(3) },
          { query: 0, source: 'google_images', stats: ok(2) },
          { query: 1, source: 'google_images', stats: ok(1) },
        ]);
        const doc = await store.jobs.get('m');
        assert.deepEqual(doc?.queries, ['cats', 'dogs']);
        assert.equal(doc?.results.query_stats.cats?.downloaded, 5);
        assert.deepEqual(doc?.results.query_stats.dogs?.successful_sources, ['google_images']);
        assert.deepEqual(await store.jobs.listRunStats('nope'), []);
      }));

    test('files of several queries keep their query and perceptual hash', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await store.jobs.create(makeJob('h'), makeSpec());
        await store.files.record('h', makeFile(1, { query: 'dogs', phash: 'f0e1d2c3b4a59687' }));
        const [file] = (await store.jobs.get('h'))?.results.files ?? [];
        assert.equal(file?.query, 'dogs');
        assert.equal(file?.phash, 'f0e1d2c3b4a59687');
      }));

    test('files page in the order recorded; a capped document counts them all', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await store.jobs.create(makeJob('p'), makeSpec());
        for (let n = 1; n <= 7; n++) await store.files.record('p', makeFile(n, n === 3 ? { kind: 'video' } : {}));
        const all = (await store.jobs.get('p'))!.results.files;
        assert.equal(all.length, 7);
        assert.equal(await store.files.count('p'), 7);
        assert.equal(await store.files.count('nope'), 0);
        assert.deepEqual(await store.files.list('p', { offset: 2, limit: 3 }), all.slice(2, 5));
        assert.deepEqual(await store.files.list('p', { offset: 6, limit: 3 }), all.slice(6));
        assert.deepEqual(await store.files.list('p', { offset: 9, limit: 3 }), []);
        const capped = (await store.jobs.get('p', { files: 2 }))!;
        assert.deepEqual(capped.results.files, all.slice(0, 2));
        assert.deepEqual(
          [capped.results.files_total, capped.results.downloaded, capped.results.images, capped.results.videos],
          [7, 7, 6, 1],
        );
        assert.equal(
          (await store.jobs.get('p'))!.results.files_total,
          undefined,
          'a whole document has no files_total',
        );
      }));

    test('the archive sees a file as soon as its record is asked for, before it is committed', () =>
      withSite(impl, async (open) => {
        const store = await open();
        await store.jobs.create(makeJob('a'), makeSpec());
        const file = makeFile(1);
        const recording = store.files.record('a', file);
        const seen = await store.files.findArchived({ sha256: file.sha256, excludeJobId: 'other' });
        assert.equal(seen?.path, file.path);
        await recording;
        assert.equal(await store.files.findArchived({ sha256: file.sha256, excludeJobId: 'a' }), null);
      }));

    test('history pruning deletes the events of ended old jobs and old outcomes, nothing else', () =>
      withSite(impl, async (open) => {
        const store = await open();
        const now = Date.parse('2026-06-01T00:00:00Z');
        const old = new Date(now - 40 * 24 * 3600 * 1000);
        const recent = new Date(now - 2 * 24 * 3600 * 1000);
        for (const [id, created, status] of [
          ['old', old, 'completed'],
          ['old-running', old, 'running'],
          ['recent', recent, 'completed'],
        ] as const) {
          await store.jobs.create(makeJob(id, makeSpec(), created), makeSpec());
          await store.jobs.update(id, { status });
          await store.events.append(sourceStarted(id, 1));
          await store.events.append(sourceStarted(id, 2));
          await store.files.record(id, makeFile(1, { path: `${id}/f.png`, sha256: id.padEnd(64, '0') }));
        }
        const health = (n: number) => ({ ...emptyHealthRecord('bing_images'), runs: n });
        await store.health.recordOutcome(outcome({ at: old }), () => health(1));
        await store.health.recordOutcome(outcome({ at: recent }), () => health(2));

        const cutoff = new Date(now - 30 * 24 * 3600 * 1000);
        assert.equal(await store.events.prune(cutoff), 2);
        assert.equal(await store.health.pruneOutcomes(cutoff), 1);
        assert.deepEqual(await store.events.list('old'), []);
        assert.equal((await store.events.list('old-running')).length, 2, 'a job still running keeps its events');
        assert.equal((await store.events.list('recent')).length, 2);
        assert.deepEqual(
          (await store.health.listOutcomes()).map((o) => o.at.toISOString()),
          [recent.toISOString()],
        );
        // The job, its files and the archive stay.
        assert.equal((await store.jobs.get('old'))?.results.files.length, 1);
        assert.equal((await store.files.findArchived({ sha256: 'old'.padEnd(64, '0') }))?.job_id, 'old');
        assert.equal((await store.health.get('bing_images')).record.runs, 2);
      }));
  });
}
