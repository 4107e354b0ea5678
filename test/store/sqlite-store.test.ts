import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { NotFoundError, StoreError } from '../../src/core/errors.ts';
import type { RunnerEvent } from '../../src/core/events.ts';
import { emptySourceStats } from '../../src/core/types.ts';
import { getSourceHealth, listSourceHealth, recordSourceOutcome } from '../../src/jobs/source-health.ts';
import { databasePath, openStore } from '../../src/store/open.ts';
import { makeFile, makeJob, makeSpec, tempEnv } from './store-fixtures.ts';

test('a full job document round-trips through the database, across a reopen', async () => {
  const env = tempEnv();
  try {
    const spec = { ...makeSpec(), options: { noCache: true } };
    const store = await openStore(env.config);
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

    const again = await openStore(env.config);
    const doc = await again.jobs.get('job-1');
    assert.ok(doc);
    assert.equal(doc.status, 'partial');
    assert.equal(doc.duration_ms, 30012);
    assert.deepEqual(doc.sources, ['google_images', 'bing_images']);
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
    await again.close();
  } finally {
    env.cleanup();
  }
});

test('updating an unknown job is a NotFoundError, and a closed store refuses work', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    await assert.rejects(store.jobs.update('ghost', { status: 'running' }), NotFoundError);
    await store.close();
    await assert.rejects(store.jobs.get('x'), StoreError);
    await assert.rejects(store.files.record('x', makeFile(1)), StoreError);
  } finally {
    env.cleanup();
  }
});

test('thousands of recordFile calls made at once all resolve, in few transactions, and every row is there', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    await store.jobs.create(makeJob('bulk'), makeSpec());
    const before = store.writeCounters;
    const n = 3000;
    await Promise.all(Array.from({ length: n }, (_, i) => store.files.record('bulk', makeFile(i + 1))));
    const after = store.writeCounters;
    assert.equal(after.writes - before.writes, n);
    assert.ok(
      after.transactions - before.transactions <= 5,
      `used ${after.transactions - before.transactions} transactions`,
    );
    const doc = await store.jobs.get('bulk');
    assert.equal(doc?.results.files.length, n);
    assert.deepEqual(
      doc?.results.files.slice(0, 3).map((f) => f.path),
      [
        'nature/google_images/nature_001.png',
        'nature/google_images/nature_002.png',
        'nature/google_images/nature_003.png',
      ],
    );
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('one failing write in a batch is rejected alone; the rest of the batch commits', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    await store.jobs.create(makeJob('j'), makeSpec());
    await store.files.record('j', makeFile(1));
    const event = (seq: number): RunnerEvent => ({
      type: 'source_started',
      job_id: 'j',
      ts: 't',
      seq,
      run: 1,
      source: 'google_images',
      timeout_ms: 1,
    });
    await store.events.append(event(1));
    const results = await Promise.allSettled([
      store.files.record('j', makeFile(2)),
      store.files.record('j', makeFile(1)), // same path again: a bug in the caller
      store.files.record('no-such-job', makeFile(3)), // foreign key
      store.events.append(event(1)), // a single-statement write failing inside the batch
      store.events.append(event(2)),
      store.files.record('j', makeFile(4)),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof StoreError);
    const doc = await store.jobs.get('j');
    assert.deepEqual(
      doc?.results.files.map((f) => f.path),
      [makeFile(1).path, makeFile(2).path, makeFile(4).path],
    );
    assert.deepEqual(
      (await store.events.list('j')).map((e) => e.seq),
      [1, 2],
    );
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('reads see writes queued before them', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    void store.jobs.create(makeJob('r'), makeSpec());
    void store.files.record('r', makeFile(1));
    // Not awaited: the read itself must flush them first.
    const doc = await store.jobs.get('r');
    assert.equal(doc?.results.files.length, 1);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('jobs are listed newest first with their file counts, filtered by status and paged', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    const t0 = Date.parse('2025-10-02T10:00:00Z');
    for (let i = 0; i < 5; i++) {
      await store.jobs.create(makeJob(`j${i}`, makeSpec(`q${i}`), new Date(t0 + i * 1000)), makeSpec(`q${i}`));
    }
    await store.files.record('j3', makeFile(1));
    await store.files.record('j3', makeFile(2));
    await store.jobs.update('j1', { status: 'completed', finished_at: new Date(t0 + 5000).toISOString() });
    const all = await store.jobs.list();
    assert.deepEqual(
      all.map((j) => j.job_id),
      ['j4', 'j3', 'j2', 'j1', 'j0'],
    );
    assert.deepEqual(all[1], {
      job_id: 'j3',
      status: 'running',
      query: 'q3',
      sources: ['google_images', 'bing_images'],
      created_at: new Date(t0 + 3000).toISOString(),
      finished_at: null,
      downloaded: 2,
    });
    assert.deepEqual(
      (await store.jobs.list({ status: 'completed' })).map((j) => j.job_id),
      ['j1'],
    );
    assert.deepEqual(
      (await store.jobs.list({ limit: 2, offset: 1 })).map((j) => j.job_id),
      ['j3', 'j2'],
    );
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('events are kept in order, replayed after a seq, and the last seq is known for a resumed run', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    await store.jobs.create(makeJob('e'), makeSpec());
    assert.equal(await store.events.lastSeq('e'), 0);
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
      { type: 'source_started', job_id: 'e', ts: 't2', seq: 2, run: 1, source: 'google_images', timeout_ms: 30000 },
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
    await Promise.all(events.map((e) => store.events.append(e)));
    assert.deepEqual(await store.events.list('e'), events);
    assert.deepEqual(await store.events.list('e', 1), events.slice(1));
    assert.equal(await store.events.lastSeq('e'), 3);
    await assert.rejects(store.events.append(events[0]!), StoreError);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('the download archive finds earlier files by candidate id or content hash, newest first, excluding a job', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    await store.jobs.create(makeJob('old'), makeSpec());
    await store.jobs.create(makeJob('new'), makeSpec());
    await store.files.record('old', makeFile(1));
    await store.files.record(
      'new',
      makeFile(2, { path: 'nature/google_images/nature_009.png', sha256: makeFile(1).sha256 }),
    );
    assert.equal(await store.files.findArchived({ candidateId: 'google_images:77' }), null);
    assert.deepEqual(await store.files.findArchived({ candidateId: 'google_images:1' }), {
      job_id: 'old',
      path: makeFile(1).path,
      candidate_id: 'google_images:1',
      sha256: makeFile(1).sha256,
    });
    // Same content saved by two jobs: the newest wins, unless it is the asking job's own.
    assert.equal((await store.files.findArchived({ sha256: makeFile(1).sha256 }))?.job_id, 'new');
    assert.equal((await store.files.findArchived({ sha256: makeFile(1).sha256, excludeJobId: 'new' }))?.job_id, 'old');
    assert.equal(await store.files.findArchived({ candidateId: 'google_images:1', excludeJobId: 'old' }), null);
    // Either key matches.
    assert.equal(
      (await store.files.findArchived({ candidateId: 'nope', sha256: makeFile(1).sha256, excludeJobId: 'new' }))
        ?.job_id,
      'old',
    );
    // Removed rows leave the archive.
    assert.equal(await store.files.remove('old', [makeFile(1).path, 'not/recorded.png']), 1);
    assert.equal(await store.files.findArchived({ candidateId: 'google_images:1' }), null);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('the archive lookup uses the indexes', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    await store.close();
    const db = new Database(databasePath(env.config), { readonly: true });
    for (const column of ['candidate_id', 'sha256']) {
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id, job_id, path, candidate_id, sha256 FROM files
           WHERE ${column} = ? AND (? IS NULL OR job_id <> ?) ORDER BY id DESC LIMIT 1`,
        )
        .all('x', null, null) as { detail: string }[];
      assert.match(
        plan.map((p) => p.detail).join(' '),
        new RegExp(`SEARCH files USING (COVERING )?INDEX files_${column}`),
      );
    }
    db.close();
  } finally {
    env.cleanup();
  }
});

test('a pending file is cleared when the file is recorded, with or without its extension', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    await store.jobs.create(makeJob('p'), makeSpec());
    await store.files.addPending('p', 'nature/google_images/nature_001'); // extension not known yet
    await store.files.addPending('p', 'nature/google_images/nature_002.png');
    await store.files.addPending('p', 'nature/google_images/nature_003');
    await store.files.record('p', makeFile(1));
    await store.files.record('p', makeFile(2));
    assert.deepEqual(
      (await store.files.listPending('p')).map((f) => f.path),
      ['nature/google_images/nature_003'],
    );
    await store.files.removePending('p', 'nature/google_images/nature_003');
    assert.deepEqual(await store.files.listPending(), []);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('source health: failures count, the third cools the source, a success resets, a skipped run counts nothing', async () => {
  const env = tempEnv();
  try {
    let nowMs = Date.parse('2025-10-02T10:00:00Z');
    const store = await openStore(env.config, { now: () => nowMs });
    const at = (): Date => new Date(nowMs);
    const fail = (error = 'HTTP 503') =>
      recordSourceOutcome(store, {
        source: 'bing_images',
        ok: false,
        error,
        durationMs: 100,
        downloaded: 0,
        downloadMs: 0,
        at: at(),
      });

    await fail();
    let h = await fail();
    assert.equal(h.consecutive_failures, 2);
    assert.equal(h.cooling_until, null);
    h = await fail('Timeout after 30s');
    assert.equal(h.consecutive_failures, 3);
    assert.equal(h.cooling_until, new Date(nowMs + 5 * 60_000).toISOString());
    assert.equal(h.last_error, 'Timeout after 30s');

    // A skipped (cooling) run neither counts as a run nor extends the cool-down.
    h = await recordSourceOutcome(store, {
      source: 'bing_images',
      ok: false,
      error: 'cooling down',
      durationMs: 0,
      downloaded: 0,
      downloadMs: 0,
      at: at(),
      skipped: true,
    });
    assert.equal(h.runs, 3);
    assert.equal(h.consecutive_failures, 3);

    nowMs += 6 * 60_000;
    assert.equal((await getSourceHealth(store.health, 'bing_images', nowMs)).cooling_until, null, 'cool-down over');
    h = await fail();
    assert.equal(h.cooling_until, new Date(nowMs + 10 * 60_000).toISOString(), 'fourth failure doubles');

    h = await recordSourceOutcome(store, {
      source: 'bing_images',
      ok: true,
      error: null,
      durationMs: 900,
      downloaded: 4,
      downloadMs: 2000,
      at: at(),
    });
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

    const outcomes = await store.health.listOutcomes({ source: 'bing_images' });
    assert.equal(outcomes.length, 6);
    assert.equal(outcomes.at(-1)?.ok, true, 'newest last');
    assert.equal(outcomes[3]?.skipped, true);
    assert.equal((await store.health.listOutcomes({ since: new Date(nowMs) })).length, 2);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('the search cache returns fresh answers only', async () => {
  const env = tempEnv();
  try {
    let nowMs = Date.parse('2025-10-02T10:00:00Z');
    const store = await openStore(env.config, { now: () => nowMs });
    const page = {
      status: 200,
      url: 'https://x/search?q=a',
      headers: { 'content-type': 'application/json' },
      text: '{"a":1}',
      stored_at: new Date(nowMs).toISOString(),
    };
    await store.cache.put('k', page);
    assert.deepEqual(await store.cache.get('k', 60_000), page);
    nowMs += 61_000;
    assert.equal(await store.cache.get('k', 60_000), null);
    assert.deepEqual(await store.cache.get('k', 120_000), page);
    await store.cache.delete('k');
    assert.equal(await store.cache.get('k', 120_000), null);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('markInterrupted marks jobs of dead or silent owners and leaves live owners alone', async () => {
  const env = tempEnv();
  try {
    let nowMs = Date.now();
    const live = await openStore(env.config, { now: () => nowMs });
    await live.jobs.create(makeJob('live'), makeSpec());
    await live.jobs.create({ ...makeJob('queued'), status: 'queued' }, makeSpec());
    await live.jobs.create(makeJob('dead'), makeSpec());
    await live.jobs.create(makeJob('stale'), makeSpec());
    await live.jobs.create({ ...makeJob('done'), status: 'completed' }, makeSpec());
    live.flush();

    // A process that has exited owns `dead`; `stale` belongs to a live pid (ours) that stopped
    // refreshing its heartbeat — a reused pid or a hung process.
    const exited = spawnSync(process.execPath, ['-e', 'process.pid']);
    const deadPid = exited.pid!;
    const db = new Database(databasePath(env.config));
    db.prepare(`UPDATE jobs SET owner_pid = ?, owner_token = 'other' WHERE job_id = 'dead'`).run(deadPid);
    db.prepare(`UPDATE jobs SET owner_token = 'other', heartbeat_ms = ? WHERE job_id = 'stale'`).run(
      nowMs - 10 * 60_000,
    );
    db.close();

    const second = await openStore(env.config, { now: () => nowMs });
    const marked = await second.jobs.markInterrupted();
    assert.deepEqual(marked.sort(), ['dead', 'stale']);
    assert.equal((await second.jobs.get('queued'))?.status, 'queued', 'queued by a live owner');
    assert.equal((await second.jobs.get('live'))?.status, 'running');
    assert.equal((await second.jobs.get('dead'))?.status, 'interrupted');
    assert.equal((await second.jobs.get('done'))?.status, 'completed');
    assert.deepEqual(await second.jobs.markInterrupted({ includeQueued: true }), [], 'the queued job has a live owner');

    // The owner closes without finishing its jobs (a crash that left the rows): once its
    // heartbeat is stale they are taken.
    await live.close();
    nowMs += 10 * 60_000;
    assert.deepEqual(await second.jobs.markInterrupted({ includeQueued: false }), ['live'], 'running only, when asked');
    assert.deepEqual(await second.jobs.markInterrupted(), ['queued'], 'a queued job of a dead process can never start');
    // A store never marks its own jobs.
    await second.jobs.create(makeJob('mine'), makeSpec());
    nowMs += 10 * 60_000;
    assert.deepEqual(await second.jobs.markInterrupted(), []);
    await second.close();
  } finally {
    env.cleanup();
  }
});

test('resuming a job makes the resuming process its owner', async () => {
  const env = tempEnv();
  try {
    const a = await openStore(env.config);
    await a.jobs.create(makeJob('j'), makeSpec());
    await a.jobs.update('j', { status: 'interrupted' });
    const b = await openStore(env.config);
    await b.jobs.update('j', { status: 'running' });
    b.flush();
    const db = new Database(databasePath(env.config), { readonly: true });
    const row = db.prepare(`SELECT owner_token FROM jobs WHERE job_id = 'j'`).get() as { owner_token: string };
    db.close();
    assert.equal(row.owner_token, b.owner.token);
    await a.close();
    await b.close();
  } finally {
    env.cleanup();
  }
});

test('transitionJob lets exactly one of two processes claim an interrupted job', async () => {
  const env = tempEnv();
  try {
    const a = await openStore(env.config);
    const b = await openStore(env.config);
    await a.jobs.create(makeJob('j'), makeSpec());
    await a.jobs.update('j', { status: 'interrupted' });
    const claims = await Promise.all([
      a.jobs.transition('j', ['interrupted', 'cancelled'], 'queued'),
      b.jobs.transition('j', ['interrupted', 'cancelled'], 'queued'),
    ]);
    assert.deepEqual(claims.sort(), [false, true]);
    assert.equal((await a.jobs.get('j'))?.status, 'queued');
    assert.equal(await a.jobs.transition('j', ['interrupted'], 'queued'), false);
    await assert.rejects(a.jobs.transition('ghost', ['interrupted'], 'queued'), NotFoundError);
    await a.close();
    await b.close();
  } finally {
    env.cleanup();
  }
});
