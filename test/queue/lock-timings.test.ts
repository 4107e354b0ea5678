// The queue's lock timings follow the source deadline (docs/ARCHITECTURE.md, "The distributed
// mode"): a dead worker costs seconds, and a live worker keeps its lock through a run that lasts
// several locks, because it renews it (two workers on the real Redis: had the lock expired, the
// other worker would have taken the run again and started it a second time).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.ts';
import type { RunnerEvent } from '../../src/core/events.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { createHttpClient } from '../../src/http/index.ts';
import { openDownloadLog } from '../../src/log/download-log.ts';
import { localDirectoryOutput } from '../../src/output/local-directory.ts';
import { openQueueIntake } from '../../src/queue/intake.ts';
import { lockTimings } from '../../src/queue/lock-timings.ts';
import { startQueueWorker } from '../../src/queue/worker.ts';
import { openStore } from '../../src/store/open.ts';
import { redisPrefix } from '../helpers/redis.ts';

test('the default deadline gives a 6 s lock renewed every 2 s, checked every 3 s: a death costs 9 s', () => {
  assert.deepEqual(lockTimings(30_000), {
    lockMs: 6_000,
    renewMs: 2_000,
    stalledCheckMs: 3_000,
    heartbeatMs: 2_000,
    liveMs: 6_000,
    deadWorkerCostMs: 9_000,
  });
});

test('a dead worker costs seconds whatever the deadline, and a lock survives a late renewal', () => {
  for (const deadlineMs of [1_000, 5_000, 30_000, 120_000, 3_600_000]) {
    const t = lockTimings(deadlineMs);
    assert.ok(t.deadWorkerCostMs <= 15_000, `${deadlineMs}: ${t.deadWorkerCostMs}`);
    assert.ok(t.deadWorkerCostMs >= 6_000, `${deadlineMs}: ${t.deadWorkerCostMs}`);
    // A renewal may come a whole renewal late (an event loop busy hashing) and the lock holds.
    assert.ok(2 * t.renewMs < t.lockMs, `${deadlineMs}: renew ${t.renewMs} of ${t.lockMs}`);
    assert.ok(t.stalledCheckMs < t.lockMs);
    assert.ok(t.liveMs > 2 * t.heartbeatMs);
  }
  // Under a minute of deadline, a death costs no more than a third of it (plus the lock's floor).
  assert.ok(lockTimings(60_000).deadWorkerCostMs <= 60_000 / 3);
});

test('a live worker keeps its lock through a run three locks long: the run starts once', async () => {
  const settings = redisPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'harvester-lock-'));
  const sim = await startSimulation({ sources: ['bing_images'], hang: ['bing_images'] });
  const config = loadConfig(
    {
      ...sim.env,
      DOWNLOAD_DIR: join(dir, 'downloads'),
      LOG_DIR: join(dir, 'logs'),
      DATA_DIR: join(dir, 'data'),
      SOURCE_TIMEOUT: '10', // a 4 s lock, renewed every 1.3 s
      BING_IMAGES_TIMEOUT: '12', // the hanging run lasts three locks
    },
    {},
  );
  const { lockMs } = lockTimings(config.sourceTimeoutMs);
  const store = await openStore(config);
  const http = createHttpClient(config);
  const log = openDownloadLog({ logDir: config.logDir, maxBytes: config.logMaxBytes, backups: config.logBackups });
  const events: RunnerEvent[] = [];
  const intake = await openQueueIntake({
    config,
    store,
    settings,
    output: localDirectoryOutput,
    log,
    onEvent: (e) => events.push(e),
  });
  const parts = { config, store, http, output: localDirectoryOutput, log, settings };
  const workers = [
    await startQueueWorker({ ...parts, concurrency: 1 }),
    await startQueueWorker({ ...parts, concurrency: 1 }),
  ];
  try {
    const doc = await intake.submit({ query: 'nature', sources: ['bing_images'], limit: 2, type: 'image' });
    const final = await intake.wait(doc.job_id);
    const st = final.results.source_stats.bing_images!;
    assert.equal(st.error_code, 'timeout');
    assert.ok(st.duration_ms >= 3 * lockMs, `the run lasted ${st.duration_ms} ms, the lock ${lockMs} ms`);
    const history = await intake.history(doc.job_id);
    const starts = history.filter((e) => e.type === 'source_started').map((e) => e.ts);
    assert.equal(starts.length, 1, `the run started at ${starts.join(', ')}`);
  } finally {
    for (const w of workers) await w.close();
    await intake.shutdown();
    log.close();
    await http.close();
    await store.close();
    await sim.close();
    await settings.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
