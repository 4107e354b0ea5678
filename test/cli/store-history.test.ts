// History, archive, cache and database errors through the real CLI process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { JobDocument, JobSummary } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { SCHEMA_VERSION } from '../../src/store/schema.ts';
import { assertDiskAgrees, cliEnv, exited, queryDb, runCli, spawnCli, waitFor } from './cli-harness.ts';

let sim: Simulation;

before(async () => {
  sim = await startSimulation({ sources: ['duckduckgo_images', 'openverse'], hang: ['openverse'] });
});

after(async () => {
  await sim.close();
});

/** Search requests (not media downloads) a simulated source received. */
const searches = (id: 'duckduckgo_images' | 'openverse'): number =>
  (sim.requests[id] ?? []).filter((u) => !u.startsWith('/__media/')).length;

test('with no history, jobs says so and creates no database', async () => {
  const e = cliEnv();
  try {
    const human = await runCli(['jobs'], e);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout, 'No jobs yet.\n');
    const json = await runCli(['jobs', '--json'], e);
    assert.deepEqual(JSON.parse(json.stdout), []);
    const one = await runCli(['job', 'abcd'], e);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /no job "abcd"/);
    assert.equal(existsSync(e.dataDir), false);
  } finally {
    e.cleanup();
  }
});

test('a corrupt database file: exit 2, a clear message, no stack trace, the file untouched', async () => {
  const e = cliEnv({ ...sim.env });
  try {
    mkdirSync(e.dataDir, { recursive: true });
    const file = join(e.dataDir, 'harvester.db');
    writeFileSync(file, 'definitely not sqlite\n'.repeat(100));
    for (const args of [['jobs'], ['search', 'cats', '--sources', 'duckduckgo_images', '--limit', '1']]) {
      const run = await runCli(args, e);
      assert.equal(run.code, 2, `${args[0]}: ${run.stderr}`);
      assert.match(run.stderr, /^harvester: database .*harvester\.db is corrupt or not a Harvester database/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(readFileSync(file, 'utf8'), 'definitely not sqlite\n'.repeat(100));
    assert.equal(existsSync(e.downloadDir), false, 'no work was done');
  } finally {
    e.cleanup();
  }
});

test('a database from a newer Harvester: exit 2 naming both schema versions', async () => {
  const e = cliEnv();
  try {
    mkdirSync(e.dataDir, { recursive: true });
    const db = new Database(join(e.dataDir, 'harvester.db'));
    db.pragma(`user_version = ${SCHEMA_VERSION + 7}`);
    db.close();
    const run = await runCli(['jobs', '--json'], e);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      new RegExp(
        `was written by a newer Harvester \\(schema v${SCHEMA_VERSION + 7}, this one knows v${SCHEMA_VERSION}\\)`,
      ),
    );
    assert.equal(run.stdout, '');
  } finally {
    e.cleanup();
  }
});

test('a live job stays running for other CLIs; once its process is killed the next start marks it interrupted', async () => {
  // openverse accepts and never answers, under a deadline far away: the job stays running.
  const e = cliEnv({ ...sim.env, OPENVERSE_TIMEOUT: '120' });
  try {
    const child = spawnCli(['search', 'nature', '--sources', 'duckduckgo_images,openverse', '--limit', '3'], e);
    try {
      await waitFor('the job to be recorded', () => (queryDb(e, `SELECT 1 FROM jobs`)?.length ?? 0) > 0);
      const [live] = JSON.parse((await runCli(['jobs', '--json'], e)).stdout) as JobSummary[];
      assert.equal(live?.status, 'running', 'a second CLI does not mark a live job interrupted');
    } finally {
      child.kill('SIGKILL');
    }
    await exited(child);
    const [dead] = JSON.parse((await runCli(['jobs', '--json'], e)).stdout) as JobSummary[];
    assert.equal(dead?.status, 'interrupted');
  } finally {
    e.cleanup();
  }
});

test('jobs and job show the history; resume refuses an ended job; retry reruns only the failed source', async () => {
  // openverse accepts and never answers: it ends at its 1 s deadline while DuckDuckGo completes.
  const e = cliEnv({ ...sim.env, OPENVERSE_TIMEOUT: '1' });
  try {
    const first = await runCli(
      ['search', 'nature', '--sources', 'duckduckgo_images,openverse', '--limit', '3', '--json'],
      e,
    );
    assert.equal(first.code, 3, first.stderr);
    const doc = JSON.parse(first.stdout) as JobDocument;
    assert.equal(doc.results.source_stats.openverse?.error, 'Timeout after 1s');

    // Human views: the list and the job with its sources and files; a unique id prefix is enough.
    const list = await runCli(['jobs'], e);
    assert.match(
      list.stdout,
      new RegExp(
        `^job\\s+status\\s+created\\s+files\\s+sources\\s+query\\n${doc.job_id}\\s+partial\\s+.*\\s3\\s+2\\s+nature\\n$`,
      ),
    );
    const shown = await runCli(['job', doc.job_id.slice(0, 8)], e);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^Job ${doc.job_id}: partial\\n`));
    assert.match(shown.stdout, /\nopenverse\s+failed\s+0\s.*Timeout after 1s\n/);
    for (const f of doc.results.files) assert.ok(shown.stdout.includes(f.path), `lists ${f.path}`);

    const resume = await runCli(['resume', doc.job_id], e);
    assert.equal(resume.code, 2);
    assert.match(
      resume.stderr,
      /cannot resume: job .* is partial: only an interrupted or cancelled job can be resumed \(retry reruns its failed sources\)/,
    );

    const ddgBefore = searches('duckduckgo_images');
    const openverseBefore = searches('openverse');
    const retried = await runCli(['retry', doc.job_id, '--json'], e);
    assert.equal(retried.code, 3, retried.stderr);
    const after = JSON.parse(retried.stdout) as JobDocument;
    assert.equal(searches('duckduckgo_images'), ddgBefore, 'the source that succeeded is not asked again');
    assert.ok(searches('openverse') > openverseBefore, 'the failed source runs again');
    assert.deepEqual(
      after.results.files.map((f) => f.path),
      doc.results.files.map((f) => f.path),
    );
    assertDiskAgrees(e, after);

    const unknown = await runCli(['retry', 'no-such-job'], e);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no job "no-such-job"/);
  } finally {
    e.cleanup();
  }
});

test('a second search skips what the first saved (archive) without asking the source again (cache); --no-archive --no-cache do both again', async () => {
  const e = cliEnv({ ...sim.env });
  try {
    const args = ['search', 'forest', '--sources', 'duckduckgo_images', '--limit', '4', '--json'];
    const first = await runCli(args, e);
    assert.equal(first.code, 0, first.stderr);
    const firstDoc = JSON.parse(first.stdout) as JobDocument;
    assert.equal(firstDoc.results.downloaded, 4);

    const asked = searches('duckduckgo_images');
    const second = await runCli(args, e);
    assert.equal(second.code, 0, second.stderr);
    const secondDoc = JSON.parse(second.stdout) as JobDocument;
    assert.equal(searches('duckduckgo_images'), asked, 'search pages came from the cache');
    assert.equal(
      secondDoc.results.source_stats.duckduckgo_images?.skipped_existing,
      4,
      'the first job’s files are skipped and counted',
    );
    // The limit counts files saved: the job goes on to candidates no earlier job saved.
    const firstIds = new Set(firstDoc.results.files.map((f) => f.candidate_id));
    assert.equal(secondDoc.results.downloaded, 4);
    assert.ok(
      secondDoc.results.files.every((f) => !firstIds.has(f.candidate_id)),
      'nothing the first job saved is saved again',
    );

    const third = await runCli([...args, '--no-archive', '--no-cache'], e);
    assert.equal(third.code, 0, third.stderr);
    const thirdDoc = JSON.parse(third.stdout) as JobDocument;
    assert.ok(searches('duckduckgo_images') > asked, '--no-cache asks the source');
    assert.equal(thirdDoc.results.downloaded, 4, '--no-archive downloads again');

    const history = JSON.parse((await runCli(['jobs', '--json'], e)).stdout) as JobSummary[];
    assert.deepEqual(
      history.map((j) => j.job_id),
      [thirdDoc.job_id, secondDoc.job_id, firstDoc.job_id],
    );
    assert.deepEqual(
      history.map((j) => j.downloaded),
      [4, 4, 4],
    );
    assert.deepEqual(Object.keys(history[0]!).sort(), [
      'created_at',
      'downloaded',
      'finished_at',
      'job_id',
      'query',
      'sources',
      'status',
    ]);
  } finally {
    e.cleanup();
  }
});

test('jobs --json lists every job; the table shows the newest and says when it leaves some out', async () => {
  const e = cliEnv();
  try {
    const { openStore } = await import('../../src/store/open.ts');
    const { loadConfig } = await import('../../src/core/config.ts');
    const store = await openStore(loadConfig({ DATA_DIR: e.dataDir }, {}));
    const t0 = Date.parse('2025-10-02T10:00:00Z');
    for (let i = 0; i < 3; i++) {
      const spec = { query: `q${i}`, sources: ['pexels' as const], limit: 1, type: 'image' as const };
      await store.jobs.create(
        {
          job_id: `job-${i}`,
          status: 'completed',
          query: spec.query,
          queries: [spec.query],
          sources: spec.sources,
          limit: 1,
          type: 'image',
          created_at: new Date(t0 + i * 60_000).toISOString(),
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
            source_stats: {},
            successful_sources: [],
            failed_sources: [],
            files: [],
          },
        },
        spec,
      );
    }
    await store.close();
    const all = JSON.parse((await runCli(['jobs', '--json'], e)).stdout) as JobSummary[];
    assert.deepEqual(
      all.map((j) => j.job_id),
      ['job-2', 'job-1', 'job-0'],
    );
    const table = await runCli(['jobs', '--limit', '2'], e);
    assert.match(
      table.stdout,
      /^job\s+status.*\njob-2\s+completed.*q2\njob-1\s+completed.*q1\n\(the 2 newest; --limit N shows more\)\n$/,
    );
    const bad = await runCli(['jobs', '--status', 'done'], e);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--status must be one of queued, running, completed, partial, failed, cancelled, interrupted/,
    );
  } finally {
    e.cleanup();
  }
});
