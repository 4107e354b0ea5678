// PostgreSQL unreachable (docs/ARCHITECTURE.md, "PostgreSQL lost"). At start-up, `worker`,
// `serve` and `search` stop within the connect timeout with exit 2 and a message that names the
// database, never its password. Mid-job (a TCP proxy between the worker and PostgreSQL, cut by
// the test): a store back within seconds costs nothing, the job completes; a store gone for good
// ends the job's runs saying so once it is back, and disk and store agree — every file on disk
// recorded, every record's file on disk, no `.part`, no pending row.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { JobDocument } from '../../src/core/types.ts';
import { openDeadPorts, startUpAgainst } from '../helpers/dead-ports.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import {
  filesBelow,
  followEvents,
  openCluster,
  postJob,
  type Cluster,
  type ClusterProcess,
} from './cluster-harness.ts';

/** The store's connect timeout (src/store/pg-store.ts). */
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * What the wait on a silent server may exceed that on a refusing one (which fails at once; both
 * start at the same moment, so they pay the same start-up on a loaded machine: 3-20 s measured
 * under a load of 13-17). Without the timeout, a silent server keeps the process for ever.
 */
const WAIT_MARGIN_MS = 5_000;

test('worker, serve and search with a DATABASE_URL nobody answers: exit 2 within the connect timeout, the database named, its password not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-pg-down-'));
  const dead = await openDeadPorts();
  const { silentPort, refusedPort } = dead;
  try {
    const results = await startUpAgainst(dead, dir, (port) => ({
      DATABASE_URL: `postgres://harvester:s3cret-pw@127.0.0.1:${port}/harvester`,
      REDIS_URL: 'redis://127.0.0.1:6379/15',
    }));
    for (const r of results) {
      const { what } = r;
      t.diagnostic(`${what}: exit ${r.code} after ${Math.round(r.durationMs)} ms: ${r.stderr.trim()}`);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${r.port}/harvester`), what);
      assert.match(r.stderr, /DATABASE_URL/, what);
      assert.doesNotMatch(r.stderr + r.stdout, /s3cret-pw/, what);
    }
    for (const command of ['worker', 'serve', 'search']) {
      const [silentRun, refusedRun] = [silentPort, refusedPort].map((port) =>
        results.find((r) => r.args[0] === command && r.port === port)!,
      );
      const extraMs = silentRun!.durationMs - refusedRun!.durationMs;
      assert.ok(extraMs < CONNECT_TIMEOUT_MS + WAIT_MARGIN_MS, `${command}: a silent server cost ${extraMs} ms more`);
    }
  } finally {
    await dead.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

let cluster: Cluster;
let proxy: TcpProxy;
let server: ClusterProcess;
let worker: ClusterProcess;

before(async () => {
  cluster = await openCluster({
    // Every request waits, so the runs are mid-way when the store goes.
    sim: { sources: ['openverse', 'pexels', 'wikimedia_commons', 'nasa_images'], latencyMs: 150 },
    env: { SOURCE_TIMEOUT: '60', MAX_DOWNLOADS_PER_SOURCE: '1' },
  });
  const direct = new URL(cluster.env.DATABASE_URL!);
  proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const proxied = new URL(direct.href);
  proxied.port = String(proxy.port);
  // The server reaches PostgreSQL directly, so the test can watch; the worker goes through the proxy.
  server = await cluster.serve();
  worker = await cluster.worker(['--concurrency', '2'], { DATABASE_URL: proxied.href });
});

after(async () => {
  await cluster?.close();
  await proxy?.close();
});

async function getJob(jobId: string): Promise<JobDocument> {
  return (await (await fetch(`${server.line}/api/jobs/${jobId}`)).json()) as JobDocument;
}

async function ended(jobId: string, timeoutMs: number): Promise<JobDocument> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = await getJob(jobId);
    if (doc.status !== 'running' && doc.status !== 'queued') return doc;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${doc.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Disk and store agree for the files below `folder`: no file without its record, no record without its file. */
async function assertNothingHalfWritten(doc: JobDocument, folder: string): Promise<void> {
  const full = await (await fetch(`${server.line}/api/jobs/${doc.job_id}/files?offset=0&limit=500`)).json();
  const recorded = (full as { files: { path: string; bytes: number }[] }).files;
  const onDisk = filesBelow(cluster.downloadDir).filter((p) => p.startsWith(`${folder}/`) && !/manifest\./.test(p));
  assert.deepEqual(
    onDisk.filter((p) => p.endsWith('.part')),
    [],
  );
  assert.deepEqual(onDisk.sort(), recorded.map((f) => f.path).sort());
  for (const f of recorded) assert.equal(statSync(join(cluster.downloadDir, f.path)).size, f.bytes, f.path);
  const db = new pg.Client({ connectionString: cluster.env.DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query('SELECT path FROM pending_files WHERE job_id = $1', [doc.job_id]);
    assert.deepEqual(rows, []);
  } finally {
    await db.end();
  }
}

test("PostgreSQL away for a second mid-job: the worker's runs go back to the queue, the job completes", async (t) => {
  const sources = ['openverse', 'pexels'];
  // 4: what the simulation's openverse and pexels have to offer, so every file counts.
  const jobId = await postJob(server.line, { query: 'blip', sources, limit: 4 });
  let cutAt = 0;
  const following = followEvents(server.line, jobId, (event) => {
    if (event.type === 'file_saved' && cutAt === 0) {
      cutAt = Date.now();
      proxy.cut();
      setTimeout(() => proxy.restore(), 1_000);
    }
  }).catch(() => []);
  const doc = await ended(jobId, 90_000);
  t.diagnostic(`cut 1 s after the first saved file; the job ended ${Date.now() - cutAt} ms after the cut`);
  assert.ok(cutAt > 0, 'the store was cut mid-job');
  assert.equal(doc.status, 'completed', JSON.stringify(doc.results.source_stats, null, 2));
  for (const s of sources) {
    assert.equal(doc.results.source_stats[s]!.downloaded, 4, JSON.stringify(doc.results.source_stats[s]));
  }
  assert.equal(new Set(doc.results.files.map((f) => f.sha256)).size, doc.results.files.length);
  await assertNothingHalfWritten(doc, 'blip');
  // The cut was felt: a run stopped and went back to the queue (the worker's warning in the log).
  const log = readFileSync(join(cluster.env.LOG_DIR!, 'download_errors.log'), 'utf8');
  assert.match(
    log,
    /WARNING \| \S+ \w+: PostgreSQL at 127\.0\.0\.1:\d+\/\w+ is unreachable.*the run goes back to the queue/,
  );
  void following;
});

test('PostgreSQL gone for good mid-job: the runs fail saying so, the job ends when it is back, nothing half-written', async (t) => {
  const sources = ['wikimedia_commons', 'nasa_images'];
  const jobId = await postJob(server.line, { query: 'outage', sources, limit: 5 });
  let cutAt = 0;
  const following = followEvents(server.line, jobId, (event) => {
    if (event.type === 'file_saved' && cutAt === 0) {
      cutAt = Date.now();
      proxy.cut();
    }
  }).catch(() => []);
  while (cutAt === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  // The cluster notices: the worker's runs leave it (to wait for their retry), then fail for good.
  let noticedMs = 0;
  const gaveUpMs = await (async () => {
    for (;;) {
      const health = (await (await fetch(`${server.line}/api/health`)).json()) as {
        queue: { runs: { active: number; failed: number } };
      };
      if (noticedMs === 0 && health.queue.runs.active === 0) noticedMs = Date.now() - cutAt;
      if (health.queue.runs.failed >= sources.length) return Date.now() - cutAt;
      assert.ok(Date.now() - cutAt < 90_000, 'the runs did not fail within 90 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  assert.equal((await getJob(jobId)).status, 'running', 'nobody could record an end while the store was away');
  proxy.restore();
  const restoredAt = Date.now();
  const doc = await ended(jobId, 30_000);
  t.diagnostic(
    `runs off the worker ${noticedMs} ms after the cut, failed for good after ${gaveUpMs} ms; ` +
      `the job ended ${Date.now() - restoredAt} ms after the store came back`,
  );
  assert.notEqual(doc.status, 'completed');
  assert.ok(['failed', 'partial'].includes(doc.status), doc.status);
  for (const s of sources) {
    const st = doc.results.source_stats[s]!;
    assert.notEqual(st.status, 'ok', s);
    assert.equal(st.error_code, 'network', s);
    assert.match(st.error ?? '', /PostgreSQL at 127\.0\.0\.1:\d+\/\w+ is unreachable/, s);
    assert.equal(st.downloaded, doc.results.files.filter((f) => f.source === s).length, s);
  }
  await assertNothingHalfWritten(doc, 'outage');
  void following;
  assert.match(worker.output(), /harvester: worker/);
});
