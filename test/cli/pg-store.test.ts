// The whole CLI on the PostgreSQL store (DATABASE_URL): a search recorded by one process is the
// history, archive and cache of the next, with no SQLite file anywhere; a bad or unreachable
// DATABASE_URL is a clear error (exit 2) before any work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { JobDocument, JobSummary } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { withTestDatabase } from '../helpers/pg-database.ts';
import { cliEnv, runCli } from './cli-harness.ts';

let sim: Simulation;

before(async () => {
  sim = await startSimulation({ sources: ['duckduckgo_images'] });
});

after(async () => {
  await sim.close();
});

test('search, jobs and job share one PostgreSQL history across processes', () =>
  withTestDatabase(async (db) => {
    const e = cliEnv({ ...sim.env, DATABASE_URL: db.url });
    try {
      const args = ['search', 'forest', '--sources', 'duckduckgo_images', '--limit', '3', '--json'];
      const first = await runCli(args, e);
      assert.equal(first.code, 0, first.stderr);
      const firstDoc = JSON.parse(first.stdout) as JobDocument;
      assert.equal(firstDoc.status, 'completed');
      assert.equal(firstDoc.results.downloaded, 3);

      // Another process reads the same history.
      const listed = await runCli(['jobs', '--json'], e);
      assert.equal(listed.code, 0, listed.stderr);
      const [summary] = JSON.parse(listed.stdout) as JobSummary[];
      assert.equal(summary?.job_id, firstDoc.job_id);
      assert.equal(summary?.status, 'completed');
      assert.equal(summary?.downloaded, 3);
      const shown = await runCli(['job', firstDoc.job_id.slice(0, 8), '--json'], e);
      assert.equal(shown.code, 0, shown.stderr);
      const shownDoc = JSON.parse(shown.stdout) as JobDocument;
      assert.deepEqual(
        shownDoc.results.files.map((f) => f.path),
        firstDoc.results.files.map((f) => f.path),
      );

      // A second search skips what the first saved: the archive is in PostgreSQL too.
      const second = await runCli(args, e);
      assert.equal(second.code, 0, second.stderr);
      const secondDoc = JSON.parse(second.stdout) as JobDocument;
      assert.equal(secondDoc.results.source_stats.duckduckgo_images?.skipped_existing, 3);
      const history = JSON.parse((await runCli(['jobs', '--json'], e)).stdout) as JobSummary[];
      assert.deepEqual(
        history.map((j) => j.job_id),
        [secondDoc.job_id, firstDoc.job_id],
      );
      assert.equal(existsSync(e.dataDir), false, 'no SQLite database was made');
    } finally {
      e.cleanup();
    }
  }));

test('a bad DATABASE_URL, or REDIS_URL alone, stops the CLI with exit 2 naming the variables', async () => {
  const e = cliEnv();
  try {
    const bad = await runCli(['jobs'], { ...e, env: { ...e.env, DATABASE_URL: 'mysql://me:hunter22@db/x' } });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /DATABASE_URL="mysql:\/\/me:\*\*\*@db\/x" is invalid/);
    assert.doesNotMatch(bad.stderr, /hunter22/);
    const alone = await runCli(['jobs'], { ...e, env: { ...e.env, REDIS_URL: 'redis://127.0.0.1:6379' } });
    assert.equal(alone.code, 2, alone.stderr);
    assert.match(alone.stderr, /REDIS_URL is set but DATABASE_URL is not/);
  } finally {
    e.cleanup();
  }
});

test('an unreachable PostgreSQL is an error naming the host, within the connect timeout, not a hang', async () => {
  // A server that accepts connections and never answers: only the connect timeout ends the wait.
  const silent: Server = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as AddressInfo).port;
  const refused = createServer();
  await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
  const closedPort = (refused.address() as AddressInfo).port;
  await new Promise<void>((resolve) => refused.close(() => resolve()));
  const e = cliEnv({ ...sim.env });
  try {
    for (const [p, why] of [
      [closedPort, /ECONNREFUSED/],
      [port, /timeout/i],
    ] as const) {
      const env = { ...e.env, DATABASE_URL: `postgres://postgres:pw@127.0.0.1:${p}/harvester` };
      const started = performance.now();
      const run = await runCli(['search', 'forest', '--sources', 'duckduckgo_images', '--limit', '1'], { ...e, env });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${p}/harvester`));
      assert.match(run.stderr, why);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(performance.now() - started < 20_000, 'it gave up');
    }
    assert.equal(existsSync(e.downloadDir), false, 'no work was done');
  } finally {
    silent.close();
    e.cleanup();
  }
});
