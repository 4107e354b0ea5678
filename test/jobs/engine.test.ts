import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Config } from '../../src/core/config.ts';
import { openEngine, openEngineStore } from '../../src/jobs/engine.ts';
import { databasePath, openStore } from '../../src/store/open.ts';
import { makeFile, makeJob, makeSpec, tempEnv } from '../store/store-fixtures.ts';

const DAY_MS = 86_400_000;

/** A store holding a running and a queued job of a process that has exited, and a two-day-old cached answer. */
async function leftByDeadProcess(config: Config): Promise<void> {
  const store = await openStore(config);
  await store.jobs.create(makeJob('dead-running'), makeSpec());
  await store.jobs.create({ ...makeJob('dead-queued'), status: 'queued' }, makeSpec());
  await store.cache.put('old', {
    status: 200,
    url: 'http://127.0.0.1/old',
    headers: {},
    text: '{}',
    stored_at: new Date(Date.now() - 2 * DAY_MS).toISOString(),
  });
  await store.close();
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
  const db = new Database(databasePath(config));
  db.prepare(`UPDATE jobs SET owner_pid = ?, owner_token = 'exited'`).run(deadPid);
  db.close();
}

/** Runs `body` over a fresh configuration whose store a dead process left behind; removes it after. */
async function afterDeadProcess(body: (config: Config) => Promise<void>): Promise<void> {
  const env = tempEnv({ SEARCH_CACHE_TTL: '86400' });
  try {
    await leftByDeadProcess(env.config);
    await body(env.config);
  } finally {
    env.cleanup();
  }
}

test('openEngine marks a dead process’s jobs interrupted and prunes the search cache at open', () =>
  afterDeadProcess(async (config) => {
    const engine = await openEngine(config);
    try {
      assert.deepEqual([...engine.interrupted].sort(), ['dead-queued', 'dead-running']);
      assert.equal((await engine.jobs.get('dead-queued'))?.status, 'interrupted');
      assert.equal(await engine.store.cache.get('old', 10 * DAY_MS), null, 'an answer older than the TTL is pruned');
      assert.equal(engine.log.path.startsWith(config.logDir), true);
      assert.equal(engine.output(config.downloadDir).root, config.downloadDir);
    } finally {
      await engine.close();
    }
    // Closed means closed: the store is released (a second engine opens it) and close is idempotent.
    await engine.close();
    const again = await openEngine(config);
    assert.deepEqual(again.interrupted, []);
    await again.close();
  }));

test('openEngine with interrupt "none" leaves a dead process’s jobs as they are', () =>
  afterDeadProcess(async (config) => {
    const engine = await openEngine(config, { interrupt: 'none' });
    assert.deepEqual(engine.interrupted, []);
    assert.equal((await engine.store.jobs.get('dead-running'))?.status, 'running');
    await engine.close();
  }));

test('openEngineStore with ifExists creates nothing when there is no store yet', async () => {
  const env = tempEnv();
  try {
    assert.equal(await openEngineStore(env.config, { ifExists: true }), null);
    assert.equal(existsSync(env.config.dataDir), false);
  } finally {
    env.cleanup();
  }
  await afterDeadProcess(async (config) => {
    const store = await openEngineStore(config, { ifExists: true, interrupt: 'running-and-queued' });
    assert.ok(store);
    assert.equal((await store.jobs.get('dead-running'))?.status, 'interrupted');
    await store.close();
  });
});

test('openEngine prunes the events of jobs older than HISTORY_RETENTION_DAYS, keeping the job and its files', async () => {
  for (const [days, kept] of [
    ['30', 0],
    ['0', 1],
  ] as const) {
    const env = tempEnv({ HISTORY_RETENTION_DAYS: days });
    try {
      const store = await openStore(env.config);
      const created = new Date(Date.now() - 40 * DAY_MS);
      await store.jobs.create({ ...makeJob('old', makeSpec(), created), status: 'completed' }, makeSpec());
      await store.events.append({
        type: 'job_started',
        job_id: 'old',
        ts: created.toISOString(),
        seq: 1,
        run: 1,
        query: 'nature',
        queries: ['nature'],
        sources: ['google_images'],
        limit: 5,
        media_type: 'image',
        resumed: false,
      });
      await store.files.record('old', makeFile(1));
      await store.close();
      const engine = await openEngine(env.config, { interrupt: 'none' });
      try {
        assert.equal((await engine.store.events.list('old')).length, kept, `HISTORY_RETENTION_DAYS=${days}`);
        assert.equal((await engine.store.jobs.get('old'))?.results.files.length, 1);
      } finally {
        await engine.close();
      }
    } finally {
      env.cleanup();
    }
  }
});
