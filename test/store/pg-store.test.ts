// PostgreSQL-only behaviour of the store: migrations under the advisory lock, a newer schema
// refused. What every store must do is in ./store-contract.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { StoreError } from '../../src/core/errors.ts';
import type { RunnerEvent } from '../../src/core/events.ts';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../src/store/pg-schema.ts';
import { openPgStore } from '../../src/store/pg-store.ts';
import { TEST_SERVER_URL, withTestDatabase } from '../helpers/pg-database.ts';
import { makeFile, makeJob, makeSpec } from './store-fixtures.ts';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

test('processes starting at once on an empty database migrate it exactly once', () =>
  withTestDatabase(async (db) => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPgStore(db.url)));
    try {
      assert.deepEqual(await query(db.url, 'SELECT version FROM harvester_schema'), [{ version: PG_SCHEMA_VERSION }]);
      // Every process works on the one schema.
      await stores[0]!.jobs.create(makeJob('j'), makeSpec());
      for (const store of stores) assert.equal((await store.jobs.get('j'))?.job_id, 'j');
    } finally {
      for (const store of stores) await store.close();
    }
    // Reopening an up-to-date database changes nothing.
    const again = await openPgStore(db.url);
    assert.equal((await again.jobs.list()).length, 1);
    await again.close();
  }));

test('a v1 database keeps reading its whole-JSON files and events, and new ones are stored slim', () =>
  withTestDatabase(async (db) => {
    const oldFile = makeFile(1);
    const oldEvent = {
      type: 'file_saved',
      source: 'google_images',
      file: oldFile,
      index: 0,
      job_id: 'old',
      ts: 't1',
      seq: 1,
      run: 1,
    } as RunnerEvent;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(PG_MIGRATIONS[0]!);
      await client.query('CREATE TABLE harvester_schema (version INTEGER NOT NULL)');
      await client.query('INSERT INTO harvester_schema (version) VALUES (1)');
      await client.query(
        `INSERT INTO jobs (job_id, status, query, sources, limit_per_source, media_type, spec, created_at)
         VALUES ('old', 'interrupted', 'nature', '["google_images"]', 5, 'image', $1, $2)`,
        [JSON.stringify(makeSpec()), makeJob('old').created_at],
      );
      await client.query(
        `INSERT INTO files (job_id, path, source, kind, candidate_id, sha256, bytes, saved_at, doc, query, phash)
         VALUES ('old', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          oldFile.path,
          oldFile.source,
          oldFile.kind,
          oldFile.candidate_id,
          oldFile.sha256,
          oldFile.bytes,
          oldFile.saved_at,
          JSON.stringify(oldFile),
          oldFile.query,
          oldFile.phash,
        ],
      );
      await client.query(`INSERT INTO events (job_id, seq, type, data) VALUES ('old', 1, 'file_saved', $1)`, [
        JSON.stringify(oldEvent),
      ]);
    } finally {
      await client.end();
    }
    const store = await openPgStore(db.url);
    try {
      assert.deepEqual((await store.jobs.get('old'))?.results.files, [oldFile]);
      assert.deepEqual(await store.events.list('old'), [oldEvent]);
      const newFile = makeFile(2);
      await store.files.record('old', newFile);
      const newEvent = { ...oldEvent, file: newFile, index: 1, ts: 't2', seq: 2, run: 2 } as RunnerEvent;
      await store.events.append(newEvent);
      assert.deepEqual(await store.events.list('old'), [oldEvent, newEvent]);
    } finally {
      await store.close();
    }
    assert.deepEqual(await query(db.url, 'SELECT version FROM harvester_schema'), [{ version: PG_SCHEMA_VERSION }]);
    const [row] = await query<{ data: string; file_id: string }>(
      db.url,
      'SELECT data, file_id FROM events WHERE seq = 2',
    );
    assert.ok(Number(row!.file_id) > 0, 'the new event references its file row');
    assert.ok(!row!.data.includes(makeFile(2).sha256), row!.data);
  }));

test('a database written by a newer Harvester is refused and left as it is', () =>
  withTestDatabase(async (db) => {
    const store = await openPgStore(db.url);
    await store.jobs.create(makeJob('kept'), makeSpec());
    await store.close();
    await query(db.url, `UPDATE harvester_schema SET version = ${PG_SCHEMA_VERSION + 1}`);
    await assert.rejects(openPgStore(db.url), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(
        error.message,
        new RegExp(
          `PostgreSQL at 127\\.0\\.0\\.1:5432/${db.name} was written by a newer Harvester \\(schema v${PG_SCHEMA_VERSION + 1}`,
        ),
      );
      return true;
    });
    assert.deepEqual(await query(db.url, 'SELECT version FROM harvester_schema'), [{ version: PG_SCHEMA_VERSION + 1 }]);
    assert.deepEqual(await query(db.url, 'SELECT job_id FROM jobs'), [{ job_id: 'kept' }]);
  }));

test('a missing database is a StoreError naming it', async () => {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = '/harvester_test_does_not_exist';
  await assert.rejects(
    openPgStore(url.href),
    /cannot connect to PostgreSQL at .*\/harvester_test_does_not_exist \(DATABASE_URL\): .*does not exist/,
  );
});
