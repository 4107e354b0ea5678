// Redis restarted in the middle of a job (a private redis-server of this test, never the shared
// one): the intake and the workers reconnect by themselves and the job completes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { createHttpClient } from '../../src/http/index.ts';
import { openDownloadLog } from '../../src/log/download-log.ts';
import { localDirectoryOutput } from '../../src/output/local-directory.ts';
import { openQueueIntake } from '../../src/queue/intake.ts';
import { startQueueWorker } from '../../src/queue/worker.ts';
import { openStore } from '../../src/store/open.ts';
import { startPrivateRedis } from '../helpers/redis.ts';

test('Redis restarted mid-job: workers reconnect and the job completes', async () => {
  const redis = await startPrivateRedis();
  const dir = mkdtempSync(join(tmpdir(), 'harvester-redis-restart-'));
  const sim = await startSimulation({ sources: ['openverse', 'pexels'], latencyMs: 150 });
  const config = loadConfig(
    {
      ...sim.env,
      DOWNLOAD_DIR: join(dir, 'downloads'),
      LOG_DIR: join(dir, 'logs'),
      DATA_DIR: join(dir, 'data'),
      SOURCE_TIMEOUT: '60',
      MAX_DOWNLOADS_PER_SOURCE: '1',
    },
    {},
  );
  const store = await openStore(config);
  const http = createHttpClient(config);
  const log = openDownloadLog({ logDir: config.logDir, maxBytes: config.logMaxBytes, backups: config.logBackups });
  const settings = { redisUrl: redis.url, prefix: 'harvester' };
  let restarted = false;
  let restarting: Promise<void> | null = null;
  const intake = await openQueueIntake({
    config,
    store,
    settings,
    output: localDirectoryOutput,
    log,
    onEvent: (event) => {
      if (event.type === 'file_saved' && !restarted) {
        restarted = true;
        restarting = redis.stop().then(() => redis.start());
      }
    },
  });
  const worker = await startQueueWorker({
    config,
    store,
    http,
    output: localDirectoryOutput,
    log,
    settings,
    concurrency: 2,
  });
  try {
    const doc = await intake.submit({ query: 'nature', sources: ['openverse', 'pexels'], limit: 4, type: 'image' });
    const final = await intake.wait(doc.job_id);
    await restarting;
    assert.ok(restarted, 'Redis was restarted while the job ran');
    assert.equal(final.status, 'completed', JSON.stringify(final.results.source_stats, null, 2));
    assert.equal(final.results.source_stats.openverse!.downloaded, 4);
  } finally {
    await worker.close();
    await intake.shutdown();
    log.close();
    await http.close();
    await store.close();
    await sim.close();
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
