// Many queries in one job through the real CLI: every source runs every query, files per query
// folder, `queries` and `results.query_stats` in the job document, and a 100-query job that is
// SIGKILLed mid-way and resumed finishes every (source, query) run exactly once.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { JobDocument } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { assertDiskAgrees, cliEnv, exited, queryDb, runCli, spawnCli, waitFor } from './cli-harness.ts';

let sim: Simulation;
before(async () => {
  sim = await startSimulation({ sources: ['openverse', 'pexels'], latencyMs: 5 });
});
after(async () => {
  await sim.close();
});

test('several queries as arguments and --queries FILE: one job, each source runs each query', async () => {
  const e = cliEnv({ ...sim.env });
  try {
    const file = join(e.dir, 'queries.txt');
    writeFileSync(file, '# animals\nred fox\n\n  arctic fox  \nred fox\nsnow owl\n');
    const r = await runCli(
      ['search', 'grey wolf', 'red fox', '--queries', file, '--sources', 'openverse,pexels', '--limit', '2', '--json'],
      e,
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.deepEqual(
      doc.queries,
      ['grey wolf', 'red fox', 'arctic fox', 'snow owl'],
      'comments, blanks and duplicates dropped, order kept',
    );
    assert.equal(doc.query, 'grey wolf');
    assert.deepEqual(Object.keys(doc.results.query_stats), doc.queries);
    // Every query ran on both sources; each query's files sit under its own folder.
    for (const q of doc.queries) {
      const qs = doc.results.query_stats[q]!;
      assert.deepEqual([...qs.successful_sources].sort(), ['openverse', 'pexels'], `${q} ran on both sources`);
      const mine = doc.results.files.filter((f) => f.query === q);
      assert.equal(qs.downloaded, mine.length);
      for (const f of mine) assert.match(f.path, new RegExp(`^${q.replace(' ', '-')}/${f.source}/`));
    }
    // The simulation answers every query from one list: a later query skips what an earlier one saved.
    assert.equal(doc.results.query_stats['grey wolf']!.downloaded, 4);
    assert.equal(new Set(doc.results.files.map((f) => f.candidate_id)).size, doc.results.files.length);
    // source_stats are summed over the queries.
    for (const s of ['openverse', 'pexels']) {
      const st = doc.results.source_stats[s]!;
      assert.equal(st.downloaded, doc.results.files.filter((f) => f.source === s).length);
      assert.ok(
        st.skipped_duplicates >= 2,
        `${s}: the later queries skipped what the first saved (${st.skipped_duplicates})`,
      );
      assert.equal(st.status, 'ok');
    }
    assert.match(r.stderr, /queries 4\/4 done/);
    assertDiskAgrees(e, doc);
    // The stored document is the same.
    const stored = JSON.parse((await runCli(['job', doc.job_id, '--json'], e)).stdout) as JobDocument;
    assert.deepEqual(stored.queries, doc.queries);
    assert.deepEqual(stored.results.query_stats, doc.results.query_stats);
    assert.deepEqual(stored.results.source_stats.openverse!.downloaded, doc.results.source_stats.openverse!.downloaded);
  } finally {
    e.cleanup();
  }
});

test('queries that differ only in case or punctuation share a folder, and its manifest lists both', async () => {
  const e = cliEnv({ ...sim.env });
  try {
    const r = await runCli(['search', 'Red Fox', 'red fox!', '--sources', 'openverse', '--limit', '1', '--json'], e);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.deepEqual(doc.queries, ['Red Fox', 'red fox!']);
    // The two runs go on side by side: the file list is in the order they saved, so compare sorted.
    assert.deepEqual(doc.results.files.map((f) => [f.query, f.path.split('/')[0]]).sort(), [
      ['Red Fox', 'red-fox'],
      ['red fox!', 'red-fox'],
    ]);
    const manifest = JSON.parse(readFileSync(join(e.downloadDir, 'red-fox', 'manifest.json'), 'utf8')) as {
      files: { file: string }[];
    };
    assert.deepEqual(
      manifest.files.map((f) => `red-fox/${f.file}`).sort(),
      doc.results.files.map((f) => f.path).sort(),
      "the folder's manifest lists the files of both queries",
    );
    const csv = readFileSync(join(e.downloadDir, 'red-fox', 'manifest.csv'), 'utf8');
    assert.equal(csv.trim().split('\r\n').length, 1 + 2);
    assertDiskAgrees(e, doc);
  } finally {
    e.cleanup();
  }
});

test('a bad queries file or too many queries is a usage error that creates nothing', async () => {
  const e = cliEnv({ ...sim.env });
  try {
    const missing = await runCli(['search', '--queries', join(e.dir, 'nope.txt')], e);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--queries: cannot read .*nope\.txt.*ENOENT/);
    const file = join(e.dir, 'many.txt');
    writeFileSync(file, Array.from({ length: 1001 }, (_, i) => `q${i}`).join('\n'));
    const many = await runCli(['search', '--queries', file], e);
    assert.equal(many.code, 2);
    assert.match(many.stderr, /at most 1000 queries \(got 1001\)/);
    const control = await runCli(['search', 'ok', 'bad\u001b[31m'], e);
    assert.equal(control.code, 2);
    assert.match(control.stderr, /queries\[1\] must not contain control characters/);
    assert.equal(queryDb(e, 'SELECT 1 FROM jobs'), undefined, 'no database was created');
  } finally {
    e.cleanup();
  }
});

test('a 100-query job killed mid-way (SIGKILL) resumes and finishes every run once', async () => {
  const e = cliEnv({ ...sim.env, MAX_CONCURRENT_SOURCES: '2' });
  try {
    const file = join(e.dir, 'queries.txt');
    const queries = Array.from({ length: 100 }, (_, i) => `animal ${i}`);
    writeFileSync(file, queries.join('\n'));
    const args = ['search', '--queries', file, '--sources', 'openverse,pexels', '--limit', '1', '--json'];
    const child = spawnCli(args, e);
    const runsEnded = (): number =>
      queryDb<{ n: number }>(
        e,
        `SELECT COUNT(*) AS n FROM query_runs WHERE json_extract(stats, '$.status') IN ('ok', 'partial', 'failed')`,
      )?.[0]?.n ?? 0;
    try {
      await waitFor('a third of the runs', () => runsEnded() >= 60, 60_000);
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal((await exited(child)).signal, 'SIGKILL');
    const endedBefore = runsEnded();
    assert.ok(endedBefore < 200, `killed before the end (${endedBefore} runs ended)`);
    const jobId = queryDb<{ job_id: string }>(e, 'SELECT job_id FROM jobs')![0]!.job_id;
    const resumed = await runCli(['resume', jobId, '--json'], e, 120_000);
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = JSON.parse(resumed.stdout) as JobDocument;
    assert.equal(doc.status, 'completed');
    assert.equal(doc.queries.length, 100);
    assert.equal(Object.keys(doc.results.query_stats).length, 100);
    for (const q of queries)
      assert.deepEqual([...doc.results.query_stats[q]!.successful_sources].sort(), ['openverse', 'pexels'], q);
    // The simulation answers every query from one list: each picture is saved once, by the first
    // query that reached it, never again after the resume.
    assert.ok(doc.results.downloaded >= 2);
    assert.equal(new Set(doc.results.files.map((f) => f.sha256)).size, doc.results.files.length);
    assert.equal(new Set(doc.results.files.map((f) => f.candidate_id)).size, doc.results.files.length);
    assert.equal(
      Object.values(doc.results.query_stats).reduce((n, q) => n + q.downloaded, 0),
      doc.results.downloaded,
    );
    for (const q of queries)
      assert.ok(doc.results.query_stats[q]!.downloaded <= 2, `${q}: at most the limit per source`);
    const runRows = queryDb<{ n: number }>(e, 'SELECT COUNT(*) AS n FROM query_runs')![0]!.n;
    assert.equal(runRows, 200, 'one recorded run per (query, source)');
    assert.equal(runsEnded(), 200);
    assertDiskAgrees(e, doc);
  } finally {
    e.cleanup();
  }
});
