// A PostgreSQL database of its own for each test (or suite), so that tests run in parallel: it is
// created with a random name on the test server and dropped afterwards. The server is the one
// scripts/test-setup.sh starts (127.0.0.1:5432, trust auth for `postgres`); TEST_DATABASE_URL
// points elsewhere. An unreachable server is an error, never a skipped test.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The database the test databases are created from (any database the user may connect to). */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** The new database's URL, for DATABASE_URL. */
  url: string;
  name: string;
  /** Drops the database (closing whatever connections are left). */
  drop(): Promise<void>;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL for the tests is not reachable at ${TEST_SERVER_URL} (${(error as Error).message || String(error)}); ` +
        'start it with `bash scripts/test-setup.sh`',
      { cause: error },
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `harvester_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    name,
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

/** Runs `body` with a fresh database, dropped afterwards whatever happens. */
export async function withTestDatabase<T>(body: (db: TestDatabase) => Promise<T>): Promise<T> {
  const db = await createTestDatabase();
  try {
    return await body(db);
  } finally {
    await db.drop();
  }
}
