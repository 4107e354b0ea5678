// A worker SIGTERMed while it runs source runs drains (docs/ARCHITECTURE.md, "The distributed
// mode"): it takes no new run after the signal, exits 0 by itself within SOURCE_TIMEOUT, and the
// job still completes with every file once and no `.part` left.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunnerEvent } from '../../src/core/events.ts';
import {
  filesBelow,
  followEvents,
  openCluster,
  postJob,
  type Cluster,
  type ClusterProcess,
} from './cluster-harness.ts';

const SOURCE_TIMEOUT_S = 12;
/** What the drain may take beyond SOURCE_TIMEOUT: closing the queues, the store, the process. */
const DRAIN_MARGIN_MS = 4_000;
/** The hanging source's own deadline (BING_IMAGES_TIMEOUT), short to keep the test short. */
const HANG_TIMEOUT_S = 5;

let cluster: Cluster;

before(async () => {
  cluster = await openCluster({
    // Every request waits, so a run is still going when its worker is told to stop.
    sim: {
      sources: ['openverse', 'pexels', 'wikimedia_commons', 'nasa_images', 'bing_images'],
      latencyMs: 150,
      hang: ['bing_images'],
    },
    env: {
      SOURCE_TIMEOUT: String(SOURCE_TIMEOUT_S),
      BING_IMAGES_TIMEOUT: String(HANG_TIMEOUT_S),
      MAX_DOWNLOADS_PER_SOURCE: '1',
    },
  });
});

after(async () => {
  await cluster?.close();
});

test('a worker SIGTERMed mid-run drains within SOURCE_TIMEOUT, exits 0, and the job completes', async (t) => {
  const server = await cluster.serve();
  const workers = [await cluster.worker(['--concurrency', '2']), await cluster.worker(['--concurrency', '2'])];
  const sources = ['openverse', 'pexels', 'wikimedia_commons', 'nasa_images'];
  const jobId = await postJob(server.line, { query: 'nature', sources, limit: 4 });
  let stopped: ClusterProcess | null = null;
  let signalledAt = 0;
  let exit: Promise<number | null> | null = null;
  let exitedAt = 0;
  const workerOf = new Map<string, string>();
  const events = await followEvents(server.line, jobId, (event: RunnerEvent) => {
    if (event.type === 'source_started' && event.worker) workerOf.set(event.source, event.worker);
    if (event.type !== 'file_saved' || stopped !== null) return;
    // The worker that runs the source which saved first: it is busy with at least that run.
    stopped = workers.find((w) => w.line === workerOf.get(event.source)) ?? null;
    if (stopped === null) return;
    signalledAt = Date.now();
    exit = stopped.stop('SIGTERM').then((code) => {
      exitedAt = Date.now();
      return code;
    });
  });
  assert.ok(stopped !== null && exit !== null, `a worker was SIGTERMed mid-run: ${JSON.stringify([...workerOf])}`);
  const stoppedName = (stopped as ClusterProcess).line;
  const code = await exit;
  const drainMs = exitedAt - signalledAt;
  t.diagnostic(`drain took ${drainMs} ms (SOURCE_TIMEOUT ${SOURCE_TIMEOUT_S} s)`);
  assert.equal(code, 0, (stopped as ClusterProcess).output());
  assert.ok(drainMs < SOURCE_TIMEOUT_S * 1000 + DRAIN_MARGIN_MS, `the drain took ${drainMs} ms`);
  assert.match((stopped as ClusterProcess).output(), /draining/);

  // No run started on the stopped worker after the signal.
  const lateStarts = events.filter(
    (e) => e.type === 'source_started' && e.worker === stoppedName && Date.parse(e.ts) > signalledAt,
  );
  assert.deepEqual(lateStarts, []);

  const finished = events.at(-1) as Extract<RunnerEvent, { type: 'job_finished' }>;
  assert.equal(finished.type, 'job_finished');
  const doc = finished.job;
  assert.equal(doc.status, 'completed', JSON.stringify(doc.results.source_stats, null, 2));
  assert.ok(doc.results.workers?.includes(stoppedName), JSON.stringify(doc.results.workers));
  const onDisk = filesBelow(cluster.downloadDir).filter((p) => !/manifest\.(json|csv)$/.test(p));
  assert.deepEqual(
    onDisk.filter((p) => p.endsWith('.part')),
    [],
  );
  assert.deepEqual(onDisk.sort(), doc.results.files.map((f) => f.path).sort());
  assert.equal(new Set(doc.results.files.map((f) => f.sha256)).size, doc.results.files.length);
  for (const s of sources) {
    assert.equal(doc.results.source_stats[s]!.downloaded, doc.results.files.filter((f) => f.source === s).length, s);
  }
  // The document is complete: every file's record and count, `downloaded` the sum.
  assert.equal(doc.results.downloaded, doc.results.files.length);
  await Promise.all([server.stop(), ...workers.filter((w) => w !== stopped).map((w) => w.stop())]);
});

test("a worker SIGTERMed while its run hangs waits for that run's deadline, no longer, and exits 0", async (t) => {
  const server = await cluster.serve();
  const worker = await cluster.worker(['--concurrency', '1']);
  const jobId = await postJob(server.line, { query: 'nature', sources: ['bing_images'], limit: 2 });
  let startedAt = 0;
  let signalledAt = 0;
  let exit: Promise<number | null> | null = null;
  let drainMs = 0;
  let next: Promise<ClusterProcess> | null = null;
  const events = await followEvents(server.line, jobId, (event) => {
    if (event.type !== 'source_started' || exit !== null) return;
    startedAt = Date.parse(event.ts);
    signalledAt = Date.now();
    exit = worker.stop('SIGTERM').then((code) => {
      drainMs = Date.now() - signalledAt;
      // The drained worker took no new work, so the job's end waits for a worker.
      next = cluster.worker();
      return code;
    });
  });
  assert.ok(exit !== null, 'the worker was SIGTERMed');
  assert.equal(await exit, 0, worker.output());
  t.diagnostic(`drain with a hanging run took ${drainMs} ms (its deadline ${HANG_TIMEOUT_S} s)`);
  // The run's own deadline ends it: the drain lasts what was left of it, plus the closing.
  const leftMs = startedAt + HANG_TIMEOUT_S * 1000 - signalledAt;
  assert.ok(drainMs >= leftMs - 250, `the drain (${drainMs} ms) did not wait for the run (${leftMs} ms left)`);
  assert.ok(drainMs < HANG_TIMEOUT_S * 1000 + DRAIN_MARGIN_MS, `the drain took ${drainMs} ms`);
  const finished = events.at(-1) as Extract<RunnerEvent, { type: 'job_finished' }>;
  assert.equal(finished.type, 'job_finished');
  assert.equal(finished.job.results.source_stats.bing_images!.error_code, 'timeout');
  assert.equal(finished.job.results.source_stats.bing_images!.worker, worker.line);
  await Promise.all([server.stop(), (await next!).stop()]);
});
