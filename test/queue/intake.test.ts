// The distributed intake and two queue workers in one process, on the real Redis (a key prefix of
// this test's own) and a shared store: a job becomes a flow, its source runs are taken by the
// workers, events come back over Redis, and the job ends as it would in-process.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig, type Config } from '../../src/core/config.ts';
import type { RunnerEvent } from '../../src/core/events.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { createHttpClient } from '../../src/http/index.ts';
import type { HttpClient } from '../../src/http/types.ts';
import { openDownloadLog, type DownloadLog } from '../../src/log/download-log.ts';
import { localDirectoryOutput } from '../../src/output/local-directory.ts';
import { openQueueIntake, type QueueIntake } from '../../src/queue/intake.ts';
import { startQueueWorker, type QueueWorker } from '../../src/queue/worker.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { redisPrefix } from '../helpers/redis.ts';

let dir: string;
let sim: Simulation;
let config: Config;
let store: Store;
let http: HttpClient;
let log: DownloadLog;
let intake: QueueIntake;
let workers: QueueWorker[];
const settings = redisPrefix();
const events: RunnerEvent[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'harvester-queue-'));
  sim = await startSimulation({ sources: ['openverse', 'pexels', 'nasa_images'] });
  config = loadConfig(
    {
      ...sim.env,
      DOWNLOAD_DIR: join(dir, 'downloads'),
      LOG_DIR: join(dir, 'logs'),
      DATA_DIR: join(dir, 'data'),
      SOURCE_TIMEOUT: '10',
    },
    {},
  );
  store = await openStore(config);
  http = createHttpClient(config);
  log = openDownloadLog({ logDir: config.logDir, maxBytes: config.logMaxBytes, backups: config.logBackups });
  intake = await openQueueIntake({
    config,
    store,
    settings,
    output: localDirectoryOutput,
    log,
    onEvent: (e) => events.push(e),
  });
  const parts = { config, store, http, output: localDirectoryOutput, log, settings };
  workers = [
    await startQueueWorker({ ...parts, concurrency: 2 }),
    await startQueueWorker({ ...parts, concurrency: 2 }),
  ];
});

after(async () => {
  for (const w of workers ?? []) await w.close();
  await intake?.shutdown();
  log?.close();
  await http?.close();
  await store?.close();
  await sim?.close();
  await settings.drop();
  rmSync(dir, { recursive: true, force: true });
});

test('a job submitted to the queue runs on the workers and ends with every file once', async () => {
  const doc = await intake.submit({
    query: 'nature',
    sources: ['openverse', 'pexels', 'nasa_images'],
    limit: 3,
    type: 'image',
  });
  assert.equal(doc.status, 'queued');
  const final = await intake.wait(doc.job_id);
  assert.equal(final.status, 'completed', JSON.stringify(final.results.source_stats, null, 2));
  const perSource = Object.values(final.results.source_stats).map((s) => s.downloaded);
  assert.equal(
    final.results.downloaded,
    perSource.reduce((a, b) => a + b, 0),
  );
  assert.ok(final.results.downloaded >= 5);
  const paths = final.results.files.map((f) => f.path);
  assert.equal(new Set(paths).size, paths.length);
  for (const source of ['openverse', 'pexels', 'nasa_images']) {
    const files = readdirSync(join(config.downloadDir, 'nature', source));
    const st = final.results.source_stats[source]!;
    assert.equal(files.length, st.downloaded, `${source}: ${files.join(', ')}`);
    assert.ok(!files.some((f) => f.endsWith('.part')));
    assert.match(st.worker ?? '', /^.+:\d+$/);
  }
  assert.ok((final.results.workers ?? []).length >= 1);

  // Every event came back over Redis, numbered 1… without a gap, and the store has them all.
  const mine = events.filter((e) => e.job_id === doc.job_id);
  const history = await intake.history(doc.job_id);
  assert.deepEqual(
    history.map((e) => e.seq),
    history.map((_, i) => i + 1),
  );
  assert.equal(history.at(-1)!.type, 'job_finished');
  assert.equal(mine.at(-1)!.type, 'job_finished');
  assert.equal(history.filter((e) => e.type === 'source_started').length, 3);
  assert.ok(history.filter((e) => e.type === 'source_started').every((e) => 'worker' in e && e.worker));

  log.flush();
  const lines = readFileSync(join(config.logDir, 'download_errors.log'), 'utf8');
  assert.match(lines, /=== JOB START === \| Job ID: /);
  assert.match(lines, /=== JOB COMPLETE === \| Downloaded: \d+ \| Images: \d+ \| Videos: 0/);
  assert.match(lines, /STATISTICS \| Success: openverse, pexels, nasa_images \| Failed: none/);
});
