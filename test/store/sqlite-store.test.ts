// SQLite-only behaviour of the store: write batching, index use, owner detection by pid. What
// every store must do is in ./store-contract.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { databasePath, openSqliteStore } from '../../src/store/open.ts';
import { makeFile, makeJob, makeSpec, tempEnv } from './store-fixtures.ts';

test('thousands of recordFile calls made at once all resolve, in few transactions, and every row is there', async () => {
  const env = tempEnv();
  try {
    const store = await openSqliteStore(env.config);
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

test('the archive lookup uses the indexes', async () => {
  const env = tempEnv();
  try {
    const store = await openSqliteStore(env.config);
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

test('markInterrupted tells a dead pid and a live pid with a stale heartbeat from a live owner on this host', async () => {
  const env = tempEnv();
  try {
    const nowMs = Date.now();
    const live = await openSqliteStore(env.config, { now: () => nowMs });
    await live.jobs.create(makeJob('live'), makeSpec());
    await live.jobs.create(makeJob('dead'), makeSpec());
    await live.jobs.create(makeJob('stale'), makeSpec());
    live.flush();

    // A process that has exited owns `dead`; `stale` belongs to a live pid (ours) that stopped
    // refreshing its heartbeat — a reused pid or a hung process.
    const exited = spawnSync(process.execPath, ['-e', 'process.pid']);
    const db = new Database(databasePath(env.config));
    db.prepare(`UPDATE jobs SET owner_pid = ?, owner_token = 'other' WHERE job_id = 'dead'`).run(exited.pid!);
    db.prepare(`UPDATE jobs SET owner_token = 'other', heartbeat_ms = ? WHERE job_id = 'stale'`).run(
      nowMs - 10 * 60_000,
    );
    db.close();

    const second = await openSqliteStore(env.config, { now: () => nowMs });
    assert.deepEqual((await second.jobs.markInterrupted()).sort(), ['dead', 'stale']);
    assert.equal((await second.jobs.get('live'))?.status, 'running');
    await live.close();
    await second.close();
  } finally {
    env.cleanup();
  }
});
