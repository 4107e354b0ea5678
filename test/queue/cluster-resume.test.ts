// `harvester resume` and `harvester retry` with REDIS_URL: the job's remaining (or failed) source
// runs go onto the cluster, the CLI follows them like `search` does (progress, summary, --json,
// exit code), and nothing saved before is downloaded again.
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
    sim: { sources: ['openverse', 'pexels', 'nasa_images', 'bing_images'], latencyMs: 150, hang: ['bing_images'] },
    env: { SOURCE_TIMEOUT: '30', BING_IMAGES_TIMEOUT: '2', MAX_DOWNLOADS_PER_SOURCE: '1' },
  });
  server = await cluster.serve();
  workers.push(await cluster.worker(['--concurrency', '2']), await cluster.worker(['--concurrency', '2']));
});

after(async () => {
  await cluster?.close();
});

/** The media paths each source's server was asked for, from the `from`-th request on. */
function mediaRequests(source: 'openverse' | 'pexels' | 'nasa_images', from = 0): string[] {
  return (cluster.sim.requests[source] ?? []).slice(from).filter((url) => url.startsWith('/__media/'));
}

test('harvester resume of a cancelled job runs what is left on the workers; nothing is downloaded again', async () => {
  const sources = ['openverse', 'pexels'] as const;
  const jobId = await postJob(server.line, { query: 'meadow', sources, limit: 4 });
  let cancelled = false;
  await followEvents(server.line, jobId, (event) => {
    if (event.type === 'file_saved' && !cancelled) {
      cancelled = true;
      void fetch(`${server.line}/api/jobs/${jobId}/cancel`, { method: 'POST' });
    }
  });
  const before = (await (await fetch(`${server.line}/api/jobs/${jobId}`)).json()) as JobDocument;
  assert.equal(before.status, 'cancelled');
  assert.ok(before.results.files.length >= 1 && before.results.files.length < 8, `${before.results.files.length}`);
  const seen = { openverse: cluster.sim.requests.openverse!.length, pexels: cluster.sim.requests.pexels!.length };

  const r = await cluster.cli(['resume', jobId.slice(0, 8), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as JobDocument;
  assert.equal(doc.job_id, jobId);
  assert.equal(doc.status, 'completed', JSON.stringify(doc.results.source_stats, null, 2));
  // The same progress and summary as `search`.
  assert.match(r.stderr, /\[openverse\] started/);
  assert.match(r.stderr, /\[pexels\] ok:/);
  assert.match(r.stderr, /completed/);
  // It ran on the workers, not in the CLI.
  assert.ok(
    doc.results.workers?.some((w) => workers.some((p) => p.line === w)),
    JSON.stringify(doc.results.workers),
  );
  // Every file once, those of the first run kept where they were, none fetched again.
  for (const s of sources) assert.equal(doc.results.source_stats[s]!.downloaded, 4, s);
  const paths = doc.results.files.map((f) => f.path);
  assert.equal(new Set(paths).size, paths.length);
  assert.equal(new Set(doc.results.files.map((f) => f.sha256)).size, paths.length);
  for (const f of before.results.files) assert.ok(paths.includes(f.path), f.path);
  for (const s of sources) {
    const again = mediaRequests(s, seen[s]);
    const savedBefore = before.results.files.filter((f) => f.source === s).map((f) => new URL(f.url).pathname);
    assert.deepEqual(
      again.filter((p) => savedBefore.includes(p.split('?')[0]!)),
      [],
      `${s}: downloaded again after the resume`,
    );
  }
  const onDisk = filesBelow(cluster.downloadDir).filter((p) => p.startsWith('meadow/') && !/manifest\./.test(p));
  assert.deepEqual(onDisk.sort(), [...paths].sort());
});

test("harvester retry reruns only the failed source on the workers and exits by the job's status", async () => {
  const jobId = await postJob(server.line, { query: 'river', sources: ['nasa_images', 'bing_images'], limit: 2 });
  const events = await followEvents(server.line, jobId);
  const first = (events.at(-1) as Extract<RunnerEvent, { type: 'job_finished' }>).job;
  assert.equal(first.status, 'partial');
  assert.equal(first.results.source_stats.bing_images!.error_code, 'timeout');
  const nasaBefore = cluster.sim.requests.nasa_images!.length;
  const bingBefore = cluster.sim.requests.bing_images!.length;

  const r = await cluster.cli(['retry', jobId, '--json']);
  // bing_images hangs again: the job stays partial, exit 3, as `search` would.
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as JobDocument;
  assert.equal(doc.status, 'partial');
  assert.match(r.stderr, /\[bing_images\] started/);
  assert.doesNotMatch(r.stderr, /\[nasa_images\] started/);
  // Only the failed source ran again: nasa_images was not asked anything, bing_images was.
  assert.equal(cluster.sim.requests.nasa_images!.length, nasaBefore);
  assert.ok(cluster.sim.requests.bing_images!.length > bingBefore);
  assert.ok(first.results.source_stats.nasa_images!.downloaded >= 1);
  assert.equal(doc.results.source_stats.nasa_images!.downloaded, first.results.source_stats.nasa_images!.downloaded);
  assert.deepEqual(doc.results.files.map((f) => f.path).sort(), first.results.files.map((f) => f.path).sort());
  // bing_images ran again on a worker; nasa_images's outcome is the first run's, untouched.
  const bing = doc.results.source_stats.bing_images!;
  assert.ok(
    workers.some((w) => w.line === bing.worker) &&
      bing.finished_at !== first.results.source_stats.bing_images!.finished_at,
  );
  assert.equal(doc.results.source_stats.nasa_images!.finished_at, first.results.source_stats.nasa_images!.finished_at);
});
