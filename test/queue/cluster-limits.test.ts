// MAX_QUEUED_JOBS and MAX_CONCURRENT_JOBS hold per cluster, not per server: two `harvester serve`
// processes on one store and one Redis, submissions racing on both, then two workers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { JobDocument } from '../../src/core/types.ts';
import { openCluster, type Cluster } from './cluster-harness.ts';

const MAX_CONCURRENT_JOBS = 2;
const MAX_QUEUED_JOBS = 3;
const SUBMISSIONS = 10;

let cluster: Cluster;

before(async () => {
  cluster = await openCluster({
    // Each job takes a while, so jobs overlap whenever the cluster lets them.
    sim: { sources: ['openverse', 'pexels'], latencyMs: 150 },
    env: {
      MAX_CONCURRENT_JOBS: String(MAX_CONCURRENT_JOBS),
      MAX_QUEUED_JOBS: String(MAX_QUEUED_JOBS),
      MAX_DOWNLOADS_PER_SOURCE: '1',
      RATE_LIMIT_PER_MINUTE: '0',
    },
  });
});

after(async () => {
  await cluster?.close();
});

interface Answer {
  server: number;
  status: number;
  retryAfter: string | null;
  body: { job_id?: string; code?: string; statusCode?: number; error?: string; message?: string };
}

test('two servers racing admit MAX_QUEUED_JOBS in all; workers run MAX_CONCURRENT_JOBS at once', async (t) => {
  const servers = [await cluster.serve(), await cluster.serve()];
  // No worker yet: every admitted job waits, so the cap is what decides.
  const answers = await Promise.all(
    Array.from({ length: SUBMISSIONS }, async (_, i): Promise<Answer> => {
      const server = i % 2;
      const res = await fetch(`${servers[server]!.line}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `limits ${i}`, sources: ['openverse', 'pexels'], limit: 3 }),
      });
      return {
        server,
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: (await res.json()) as Answer['body'],
      };
    }),
  );
  const admitted = answers.filter((a) => a.status === 202);
  const refused = answers.filter((a) => a.status !== 202);
  t.diagnostic(
    `admitted ${admitted.length} of ${SUBMISSIONS} (by server: ${[0, 1].map((s) => admitted.filter((a) => a.server === s).length).join(' + ')}), refused ${refused.length}`,
  );
  assert.equal(admitted.length, MAX_QUEUED_JOBS, JSON.stringify(answers));
  for (const a of refused) {
    assert.equal(a.status, 503);
    assert.match(a.retryAfter ?? '', /^\d+$/);
    assert.equal(a.body.code, 'QUEUE_FULL');
    assert.equal(a.body.statusCode, 503);
    assert.equal(a.body.error, 'Service Unavailable');
    assert.match(a.body.message ?? '', /MAX_QUEUED_JOBS/);
  }
  // Both servers refused: the cap is the cluster's, not each server's.
  assert.deepEqual(new Set(refused.map((a) => a.server)), new Set([0, 1]));

  const workers = [await cluster.worker(['--concurrency', '4']), await cluster.worker(['--concurrency', '4'])];
  const ids = admitted.map((a) => a.body.job_id!);
  const docs: JobDocument[] = [];
  for (const id of ids) {
    for (;;) {
      const doc = (await (await fetch(`${servers[0]!.line}/api/jobs/${id}`)).json()) as JobDocument;
      if (doc.finished_at !== null && doc.status !== 'running' && doc.status !== 'queued') {
        docs.push(doc);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  for (const doc of docs) assert.equal(doc.status, 'completed', JSON.stringify(doc.results.source_stats));
  // The most jobs running at one moment, from their recorded start and end.
  const edges = docs.flatMap((d) => [
    { at: Date.parse(d.started_at!), step: 1 },
    { at: Date.parse(d.finished_at!), step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (running += e.step));
  t.diagnostic(`at most ${most} jobs ran at once (MAX_CONCURRENT_JOBS ${MAX_CONCURRENT_JOBS})`);
  assert.equal(most, MAX_CONCURRENT_JOBS);

  // The queue has room again once its jobs have started.
  const again = await fetch(`${servers[1]!.line}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'limits again', sources: ['openverse'], limit: 1 }),
  });
  assert.equal(again.status, 202);
  await Promise.all([...servers, ...workers].map((p) => p.stop()));
});
