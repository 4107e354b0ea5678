// `harvester demo --cluster` as a user runs it: the real CLI process against the real PostgreSQL
// (a database of each test's own) and Redis (a leased database number), starting and stopping its
// own server and two workers.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { JobDocument } from '../../src/core/types.ts';
import { filesBelow } from '../queue/cluster-harness.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/pg-database.ts';
import { leaseRedisDb } from '../helpers/redis.ts';
import { runCli, startCli } from './run-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'harvester-demo-cluster-'));
let db: TestDatabase;
let redis: Awaited<ReturnType<typeof leaseRedisDb>>;
let n = 0;

before(async () => {
  db = await createTestDatabase();
  redis = await leaseRedisDb();
});
after(async () => {
  await redis?.release();
  await db?.drop();
  rmSync(root, { recursive: true, force: true });
});

function folder(): string {
  const cwd = join(root, `w${++n}`);
  mkdirSync(cwd);
  return cwd;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The pids of the server and workers the demo says it started. */
function childPids(stderr: string): number[] {
  const m = /^Cluster: server http:\/\/\S+ \(pid (\d+)\) and 2 workers (\S+):(\d+), (\S+):(\d+) /m.exec(stderr);
  assert.ok(m, `the demo names its cluster:\n${stderr}`);
  return [Number(m[1]), Number(m[3]), Number(m[5])];
}

async function redisKeys(): Promise<string[]> {
  const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    return await c.keys('*');
  } finally {
    c.disconnect();
  }
}

test('without DATABASE_URL and REDIS_URL: exit 2 naming both, nothing started or written', async () => {
  const cwd = folder();
  const r = await runCli(['demo', '--cluster'], { cwd, env: { REDIS_URL: redis.url } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /needs DATABASE_URL and REDIS_URL \(DATABASE_URL not set\)/);
  assert.doesNotMatch(r.stderr, /Harvester demo: searching/);
  assert.deepEqual(readdirSync(cwd), []);
});

test('runs the demo on a server and two workers it starts and stops itself', async () => {
  const cwd = folder();
  const run = startCli(['demo', '--cluster', '--json'], {
    cwd,
    env: { DATABASE_URL: db.url, REDIS_URL: redis.url },
    timeoutMs: 120_000,
  });
  const r = await run.result;
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as JobDocument;
  assert.equal(doc.status, 'partial');
  assert.deepEqual(doc.results.successful_sources, ['google_images', 'yandex_images', 'unsplash', 'pexels']);
  assert.deepEqual(doc.results.failed_sources, ['bing_images']);
  assert.equal(doc.results.source_stats.bing_images!.error, 'Timeout after 3s');

  // Two worker processes ran it, neither of them the CLI.
  const workers = doc.results.workers ?? [];
  assert.equal(new Set(workers).size, 2, JSON.stringify(workers));
  assert.ok(!workers.includes(`${hostname()}:${run.child.pid}`), JSON.stringify(workers));
  for (const s of doc.sources) assert.ok(workers.includes(doc.results.source_stats[s]!.worker!), s);
  assert.match(
    r.stderr,
    /Which worker ran which source \(2 worker processes took part\):\n {2}google_images {2}worker [12] \(/,
  );
  assert.match(r.stderr, /Stopped the cluster \(SIGTERM\): server exit 0, worker-1 exit 0, worker-2 exit 0\./);

  // The same summary and download-log excerpt as the plain demo; every outcome recorded.
  assert.match(r.stderr, /bing_images\s+failed\s+0\s+0\s+0\s+0\s+3\.\ds\s+Timeout after 3s/);
  assert.match(r.stderr, /The download log \(logs\/download_errors\.log\) of this run:\n/);
  assert.match(r.stderr, /\| INFO \| === JOB COMPLETE === \|/);
  assert.doesNotMatch(r.stderr, /cannot record/);

  // Nothing left behind: no partial file, no child process, no key of the demo's queues.
  const files = filesBelow(join(cwd, 'downloads'));
  assert.ok(files.length >= 4 * 3, files.join(', '));
  assert.deepEqual(
    files.filter((f) => f.endsWith('.part')),
    [],
  );
  const pids = childPids(r.stderr);
  assert.deepEqual(
    pids.filter((pid) => isAlive(pid)),
    [],
  );
  assert.deepEqual(workers.map((w) => Number(w.split(':').at(-1))).sort(), pids.slice(1).sort());
  assert.deepEqual(
    (await redisKeys()).filter((k) => k.startsWith('harvester')),
    [],
  );
});

test('Ctrl-C cancels the job, the workers end it, and every child process is gone', async () => {
  const cwd = folder();
  const run = startCli(['demo', '--cluster', '--json'], {
    cwd,
    env: { DATABASE_URL: db.url, REDIS_URL: redis.url },
    timeoutMs: 120_000,
  });
  await run.waitForStderr(/\[bing_images\] started/);
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 130, r.stderr);
  const doc = JSON.parse(r.stdout) as JobDocument;
  assert.equal(doc.status, 'cancelled');
  assert.equal(doc.results.source_stats.bing_images!.error_code, 'cancelled');
  assert.match(r.stderr, /Stopped the cluster \(SIGTERM\): server exit 0, worker-1 exit 0, worker-2 exit 0\./);
  assert.deepEqual(
    childPids(r.stderr).filter((pid) => isAlive(pid)),
    [],
  );
});

test('the demo killed outright: its server and workers see their IPC channel close and stop by themselves', async () => {
  const cwd = folder();
  const run = startCli(['demo', '--cluster'], {
    cwd,
    env: { DATABASE_URL: db.url, REDIS_URL: redis.url },
    timeoutMs: 120_000,
  });
  let stderr = '';
  run.child.stderr.on('data', (d: string) => (stderr += d));
  await run.waitForStderr(/\[bing_images\] started/);
  const pids = childPids(stderr);
  run.child.kill('SIGKILL');
  await run.result;
  const deadline = Date.now() + 30_000;
  while (pids.some((pid) => isAlive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(
    pids.filter((pid) => isAlive(pid)),
    [],
  );
  const workerLog = await readFile(join(cwd, 'logs', 'demo-worker-1.log'), 'utf8');
  assert.match(workerLog, /the process that started this worker ended: draining/);
});
