// The distributed mode as real processes: one server, two workers, the shared store and Redis.
// A worker SIGKILLed after it saved a file loses nothing (its run is taken again, every file is
// there once, no `.part` is left); a server started afterwards replays the job to `job_finished`;
// a cancel reaches the worker running a hanging source within a second; `harvester search`
// follows a job the workers run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunnerEvent } from '../../src/core/events.ts';
import type { JobDocument } from '../../src/core/types.ts';
import {
  filesBelow,
  followEvents,
  openCluster,
  postJob,
  type Cluster,
  type ClusterProcess,
} from './cluster-harness.ts';

let cluster: Cluster;
let server: ClusterProcess;
const workers: ClusterProcess[] = [];

before(async () => {
  cluster = await openCluster({
    // Every request waits a little, so source runs last long enough to kill a worker mid-run.
    sim: {
      sources: ['openverse', 'pexels', 'nasa_images', 'wikimedia_commons', 'pixabay', 'bing_images'],
      latencyMs: 100,
      hang: ['bing_images'],
    },
    env: { SOURCE_TIMEOUT: '30', MAX_DOWNLOADS_PER_SOURCE: '1' },
  });
  server = await cluster.serve();
  workers.push(await cluster.worker(['--concurrency', '2']), await cluster.worker(['--concurrency', '2']));
});

after(async () => {
  await cluster?.close();
});

test('a worker killed after its first saved file: its run is taken again, every file once, the job completes', async () => {
  const sources = ['openverse', 'pexels', 'wikimedia_commons'];
  const jobId = await postJob(server.line, { query: 'nature', sources, limit: 4 });
  const workerOf = new Map<string, string>();
  let killed: ClusterProcess | null = null;
  const events = await followEvents(server.line, jobId, (event: RunnerEvent) => {
    if (event.type === 'source_started' && event.worker) workerOf.set(event.source, event.worker);
    if (event.type === 'file_saved' && killed === null) {
      const name = workerOf.get(event.source);
      killed = workers.find((w) => w.line === name) ?? null;
      assert.ok(killed, `the worker ${name} that saved ${event.file.path} is one of ours`);
      killed.child.kill('SIGKILL');
    }
  });
  assert.ok(killed, 'a worker was killed');
  const finished = events.at(-1)!;
  assert.equal(finished.type, 'job_finished');
  const doc = (finished as Extract<RunnerEvent, { type: 'job_finished' }>).job;
  assert.equal(doc.status, 'completed', JSON.stringify(doc.results.source_stats, null, 2));

  // Every recorded file is on disk once, nothing else is, no `.part` is left.
  const onDisk = filesBelow(cluster.downloadDir).filter(
    (p) => !p.endsWith('manifest.json') && !p.endsWith('manifest.csv'),
  );
  assert.deepEqual(
    onDisk.filter((p) => p.endsWith('.part')),
    [],
  );
  const recorded = doc.results.files.map((f) => f.path).sort();
  assert.deepEqual(onDisk.sort(), recorded);
  assert.equal(new Set(doc.results.files.map((f) => f.sha256)).size, recorded.length);
  // Each source's count is its files (the simulation serves some pictures under several sources:
  // those are kept once, by whichever run claimed them first).
  for (const s of sources) {
    const mine = doc.results.files.filter((f) => f.source === s).length;
    assert.equal(doc.results.source_stats[s]!.downloaded, mine, s);
  }
  // The killed worker ran part of the job; the one that took its run again finished it.
  const killedName = (killed as ClusterProcess).line;
  assert.ok(doc.results.workers?.includes(killedName), JSON.stringify(doc.results.workers));
  const retaken = Object.values(doc.results.source_stats).find(
    (st) => st.workers.includes(killedName) && st.workers.length > 1,
  );
  assert.ok(retaken, `a run of the killed worker was taken again: ${JSON.stringify(doc.results.source_stats)}`);
  assert.notEqual(retaken.worker, killedName);
  assert.equal(retaken.status, 'ok');

  // A server started after the job ended replays its events to job_finished, in order.
  const late = await cluster.serve();
  const replay = await followEvents(late.line, jobId);
  // In order; a number the killed worker took but never recorded is a gap, not a reordering.
  assert.ok(replay.every((e, i) => i === 0 || e.seq > replay[i - 1]!.seq));
  assert.equal(replay.at(-1)!.type, 'job_finished');
  const health = (await (await fetch(`${late.line}/api/health`)).json()) as {
    store: string;
    queue: { redis: string };
    workers: unknown[];
  };
  assert.equal(health.store, 'ok');
  assert.equal(health.queue.redis, 'ok');
  assert.equal(health.workers.length, 1);
  await late.stop();
  workers.splice(workers.indexOf(killed), 1);
  workers.push(await cluster.worker(['--concurrency', '2']));
});

test('a cancel reaches the worker running a hanging source within a second', async () => {
  const jobId = await postJob(server.line, { query: 'nature', sources: ['bing_images'], limit: 2 });
  let cancelledAt = 0;
  const events = await followEvents(server.line, jobId, (event) => {
    if (event.type === 'source_started') {
      cancelledAt = Date.now();
      void fetch(`${server.line}/api/jobs/${jobId}/cancel`, { method: 'POST' });
    }
  });
  const finished = events.at(-1) as Extract<RunnerEvent, { type: 'job_finished' }>;
  assert.equal(finished.status, 'cancelled');
  assert.equal(finished.job.results.source_stats.bing_images!.error_code, 'cancelled');
  const took = Date.parse(finished.ts) - cancelledAt;
  assert.ok(took < 1_500, `the job ended ${took} ms after the cancel`);
});

test('harvester search with REDIS_URL enqueues, follows the job on the workers and exits 0', async () => {
  // Sources no earlier test used, so the download archive skips nothing.
  const r = await cluster.cli(['search', 'forest', '--sources', 'pixabay,nasa_images', '--limit', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as JobDocument;
  assert.equal(doc.status, 'completed');
  assert.equal(doc.results.source_stats.pixabay!.downloaded, 2, r.stderr);
  assert.match(r.stderr, /\[pixabay\] started/);
  assert.match(r.stderr, /\[pixabay\] ok:/);
  assert.ok(workers.some((w) => doc.results.workers?.includes(w.line)));
});

test('the server that accepted a job dies: the job goes on, and no later command marks it interrupted', async () => {
  const other = await cluster.serve();
  // bing_images hangs: the job runs until it is cancelled below.
  const jobId = await postJob(other.line, { query: 'meadow', sources: ['bing_images'], limit: 1 });
  await other.stop('SIGKILL');
  // `job` opens the store the way every command does (jobs of dead processes are marked at open).
  const shown = await cluster.cli(['job', jobId, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  const doc = JSON.parse(shown.stdout) as JobDocument;
  assert.ok(['queued', 'running'].includes(doc.status), `the job is ${doc.status}`);
  await fetch(`${server.line}/api/jobs/${jobId}/cancel`, { method: 'POST' });
  const events = await followEvents(server.line, jobId);
  const finished = events.at(-1) as Extract<RunnerEvent, { type: 'job_finished' }>;
  assert.equal(finished.status, 'cancelled');
});
