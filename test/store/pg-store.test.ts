// PostgreSQL-only behaviour of the store: migrations under the advisory lock, a newer schema
// refused. What every store must do is in ./store-contract.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { StoreError } from '../../src/core/errors.ts';
import { PG_SCHEMA_VERSION } from '../../src/store/pg-schema.ts';
import { openPgStore } from '../../src/store/pg-store.ts';
import { TEST_SERVER_URL, withTestDatabase } from '../helpers/pg-database.ts';
import { makeJob, makeSpec } from './store-fixtures.ts';

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
    /cannot connect to PostgreSQL at .*\/harvester_test_does_not_exist: .*does not exist/,
  );
});
