// A server of the distributed mode whose Redis goes away (a private redis-server of this test,
// never the shared one): /api/health answers 503 naming the queue and /metrics answers with
// `harvester_queue_up 0`, both within seconds instead of waiting for the reconnect; once Redis is
// back both say so again. The outage is two lines on the server's stderr (lost, back), not an
// error per reconnect attempt; a worker told to stop while Redis is away stops waiting for it
// and exits 1 within seconds instead of hanging.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { promtoolCheck } from '../helpers/promtool.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.ts';
import { openCluster, type Cluster, type ClusterProcess } from './cluster-harness.ts';

let redis: PrivateRedis;
let cluster: Cluster;
let server: ClusterProcess;
let worker: ClusterProcess;

before(async () => {
  redis = await startPrivateRedis();
  cluster = await openCluster({ env: { REDIS_URL: redis.url } });
  server = await cluster.serve();
  worker = await cluster.worker([], { SOURCE_TIMEOUT: '4' });
});

after(async () => {
  await cluster?.close();
  await redis?.close();
});

async function get(path: string): Promise<{ status: number; text: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${server.line}${path}`, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, text: await res.text(), ms: Date.now() - started };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('Redis away: health is 503 and /metrics says queue_up 0, within seconds; back: both recover', async () => {
  const up = await get('/metrics');
  assert.match(up.text, /^harvester_queue_up 1$/m);
  assert.equal((await get('/api/health')).status, 200);

  await redis.stop();
  const health = await get('/api/health');
  assert.equal(health.status, 503, health.text);
  assert.match(health.text, /queue: Redis did not answer within 2 s/);
  assert.ok(health.ms < 5_000, `health answered after ${health.ms} ms`);
  const metrics = await get('/metrics');
  assert.equal(metrics.status, 200, metrics.text);
  assert.ok(metrics.ms < 5_000, `metrics answered after ${metrics.ms} ms`);
  assert.match(metrics.text, /^harvester_queue_up 0$/m);
  assert.doesNotMatch(metrics.text, /^harvester_queue_source_runs\{/m);
  assert.match(metrics.text, /^harvester_process_cpu_seconds_total /m);
  const checked = await promtoolCheck(metrics.text);
  assert.equal(checked.output.trim(), '', `promtool said: ${checked.output}`);
  assert.equal(checked.code, 0);

  await until('the outage reported', async () => /Redis unreachable/.test(server.output()));
  const stopAsked = Date.now();
  const code = await worker.stop('SIGTERM');
  const stopMs = Date.now() - stopAsked;
  assert.ok(stopMs < 8_000, `the worker took ${stopMs} ms to stop`);
  assert.match(worker.output(), /Redis unreachable \(connect ECONNREFUSED [^)]*\); retrying until it is back/);
  // Whether BullMQ's close gets through without Redis depends on where its reconnect loop is;
  // either way the worker ends at once, and says so when it gave up waiting.
  if (code === 1) assert.match(worker.output(), /harvester: stopped without reaching Redis: exiting now/);
  else assert.equal(code, 0, worker.output());

  await redis.start();
  await until('health back to 200', async () => (await get('/api/health')).status === 200);
  await until('queue_up back to 1', async () => /^harvester_queue_up 1$/m.test((await get('/metrics')).text));
  await until('the recovery reported', async () => /Redis reachable again after/.test(server.output()));
  for (const p of [server, worker]) {
    assert.doesNotMatch(p.output(), /^Error: |^\s+at /m, 'no raw error dumps');
    assert.equal(p.output().match(/Redis unreachable/g)?.length, 1, p.output());
  }
});
