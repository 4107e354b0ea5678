// A server's /metrics and /api/health in the distributed mode, scraped while two worker processes
// run a job: what promtool reads (no problem, no warning), and gauges that say what is true —
// two live workers with their concurrency, source runs active and waiting during the job, the
// workers' finished runs counted up to the job's once it has ended.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunnerEvent } from '../../src/core/events.ts';
import type { SourceId } from '../../src/core/types.ts';
import { promtoolCheck } from '../helpers/promtool.ts';
import { followEvents, openCluster, postJob, type Cluster, type ClusterProcess } from './cluster-harness.ts';

let cluster: Cluster;
let server: ClusterProcess;
const workers: ClusterProcess[] = [];
const SOURCES: SourceId[] = ['openverse', 'pexels', 'nasa_images', 'wikimedia_commons', 'pixabay'];

before(async () => {
  cluster = await openCluster({
    // Every request waits a little, so each source run lasts long enough to be seen running.
    sim: { sources: SOURCES, latencyMs: 150 },
    env: { SOURCE_TIMEOUT: '30', MAX_DOWNLOADS_PER_SOURCE: '1' },
  });
  server = await cluster.serve();
  // One run at a time each: of five runs, two run and three wait.
  workers.push(await cluster.worker(['--concurrency', '1']), await cluster.worker(['--concurrency', '1']));
});

after(async () => {
  await cluster?.close();
});

/** The value of one series (`name{labels}`) in a metrics text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function sumOf(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
}

async function scrape(): Promise<string> {
  const res = await fetch(`${server.line}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

interface Health {
  store: string;
  queue: { redis: string; jobs: { waiting: number; active: number }; runs: Record<string, number> };
  workers: { worker: string; concurrency: number }[];
}

test("the server's /metrics and /api/health during a cluster job: promtool-clean, plausible gauges", async () => {
  const before = await scrape();
  assert.equal(sample(before, 'harvester_queue_workers'), 2);
  for (const w of workers) {
    assert.equal(sample(before, `harvester_worker_concurrency{worker="${w.line}"}`), 1, before);
    assert.equal(sample(before, `harvester_worker_completed_source_runs{worker="${w.line}"}`), 0);
  }
  assert.equal(sample(before, 'harvester_queue_source_runs{state="active"}'), 0);

  const jobId = await postJob(server.line, { query: 'nature', sources: SOURCES, limit: 3 });
  let during: Promise<[string, Health]> | null = null;
  const events = await followEvents(server.line, jobId, (event: RunnerEvent) => {
    // The first run to start: the others are running or waiting behind it.
    if (event.type === 'source_started' && during === null) {
      during = Promise.all([scrape(), fetch(`${server.line}/api/health`).then((r) => r.json() as Promise<Health>)]);
    }
  });
  assert.equal(events.at(-1)!.type, 'job_finished');
  assert.ok(during !== null, 'a source started');
  const [text, health] = await (during as Promise<[string, Health]>);

  const checked = await promtoolCheck(text);
  assert.equal(checked.output.trim(), '', `promtool said: ${checked.output}`);
  assert.equal(checked.code, 0);
  assert.equal(sample(text, 'harvester_queue_workers'), 2);
  assert.equal(sample(text, 'harvester_queue_jobs{state="active"}'), 1, text);
  const active = sample(text, 'harvester_queue_source_runs{state="active"}')!;
  const waiting = sample(text, 'harvester_queue_source_runs{state="waiting"}')!;
  assert.ok(active >= 1 && active <= 2, `active source runs: ${active}`);
  assert.ok(active + waiting <= SOURCES.length && active + waiting >= 2, `active ${active}, waiting ${waiting}`);
  assert.equal(sample(text, 'harvester_queue_source_runs{state="failed"}'), 0);
  assert.equal(sample(text, 'harvester_jobs{status="running"}'), 1);

  assert.equal(health.store, 'ok');
  assert.equal(health.queue.redis, 'ok');
  assert.equal(health.queue.jobs.active, 1);
  assert.ok(health.queue.runs.active! >= 1, JSON.stringify(health.queue));
  assert.deepEqual(health.workers.map((w) => w.worker).sort(), workers.map((w) => w.line).sort());

  // The workers' own counts reach the job's five runs (their gauges follow each heartbeat).
  const deadline = Date.now() + 15_000;
  let after = await scrape();
  while (sumOf(after, 'harvester_worker_completed_source_runs') < SOURCES.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    after = await scrape();
  }
  assert.equal(sumOf(after, 'harvester_worker_completed_source_runs'), SOURCES.length, after);
  assert.equal(sumOf(after, 'harvester_worker_active_source_runs'), 0);
  assert.equal(sample(after, 'harvester_queue_source_runs{state="active"}'), 0);
  assert.equal(sample(after, 'harvester_queue_source_runs{state="waiting"}'), 0);
  assert.equal(sample(after, 'harvester_queue_jobs{state="active"}'), 0);
  assert.equal((await promtoolCheck(after)).code, 0);
});
