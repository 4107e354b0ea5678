import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync, openSync, writeSync, closeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError } from '../../src/core/errors.ts';
import type { RunnerEvent } from '../../src/core/events.ts';
import { databasePath, openSqliteStore } from '../../src/store/open.ts';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.ts';
import { makeFile, makeJob, makeSpec, tempEnv } from './store-fixtures.ts';

test('a new database is created in DATA_DIR with WAL, NORMAL sync, foreign keys and the current schema', async () => {
  const env = tempEnv();
  try {
    const store = await openSqliteStore(env.config);
    const file = databasePath(env.config);
    assert.ok(existsSync(file));
    assert.deepEqual(store.settings(), {
      journalMode: 'wal',
      synchronous: 'NORMAL',
      foreignKeys: true,
      busyTimeoutMs: 5000,
    });
    await store.close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal', 'WAL is persistent');
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    db.close();
  } finally {
    env.cleanup();
  }
});

test('an empty database from before any schema (v0) is migrated to the current version', async () => {
  const env = tempEnv();
  try {
    mkdirSync(env.config.dataDir, { recursive: true });
    const db = new Database(databasePath(env.config));
    db.exec('CREATE TABLE unrelated (x INTEGER)'); // a v0 file may hold anything else
    db.close();
    const store = await openSqliteStore(env.config);
    await store.jobs.create(makeJob('j'), makeSpec());
    assert.equal((await store.jobs.get('j'))?.status, 'running');
    await store.close();
    const check = new Database(databasePath(env.config), { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    check.close();
  } finally {
    env.cleanup();
  }
});

test('reopening an up-to-date database keeps its history', async () => {
  const env = tempEnv();
  try {
    const a = await openSqliteStore(env.config);
    await a.jobs.create(makeJob('kept'), makeSpec());
    await a.files.record('kept', makeFile(1));
    await a.close();
    const b = await openSqliteStore(env.config);
    assert.equal((await b.jobs.get('kept'))?.results.files.length, 1);
    await b.close();
  } finally {
    env.cleanup();
  }
});

test('a v1 database with history is migrated to the current version and keeps its rows', async () => {
  const env = tempEnv();
  try {
    mkdirSync(env.config.dataDir, { recursive: true });
    const db = new Database(databasePath(env.config));
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.prepare(
      `INSERT INTO jobs (job_id, status, query, sources, limit_per_source, media_type, spec, created_at)
       VALUES ('old', 'completed', 'nature', '["google_images"]', 5, 'image', '{"query":"nature","sources":["google_images"],"limit":5,"type":"image"}', '2025-10-02T10:00:00.000Z')`,
    ).run();
    db.prepare(
      `INSERT INTO search_cache (key, status, url, headers, text, stored_at, stored_ms) VALUES ('k', 200, 'u', '{}', 't', ?, ?)`,
    ).run(new Date().toISOString(), Date.now());
    db.close();
    const store = await openSqliteStore(env.config);
    assert.equal((await store.jobs.get('old'))?.status, 'completed');
    assert.equal((await store.cache.get('k', 60_000))?.text, 't');
    await store.close();
    const check = new Database(databasePath(env.config), { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    check.close();
  } finally {
    env.cleanup();
  }
});

test('a v4 database keeps reading its whole-JSON files and events, and new ones are stored slim', async () => {
  const env = tempEnv();
  try {
    mkdirSync(env.config.dataDir, { recursive: true });
    const db = new Database(databasePath(env.config));
    for (const m of MIGRATIONS.slice(0, 4)) db.exec(m);
    db.pragma('user_version = 4');
    const job = makeJob('old');
    const oldFile = makeFile(1);
    const oldEvents = [
      { type: 'file_saved', source: 'google_images', file: oldFile, index: 0, job_id: 'old', ts: 't1', seq: 1, run: 1 },
    ];
    db.prepare(
      `INSERT INTO jobs (job_id, status, query, sources, limit_per_source, media_type, spec, created_at)
       VALUES ('old', 'interrupted', 'nature', '["google_images"]', 5, 'image', ?, ?)`,
    ).run(JSON.stringify(makeSpec()), job.created_at);
    db.prepare(
      `INSERT INTO files (job_id, path, source, kind, candidate_id, sha256, bytes, saved_at, doc, query, phash)
       VALUES ('old', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      oldFile.path,
      oldFile.source,
      oldFile.kind,
      oldFile.candidate_id,
      oldFile.sha256,
      oldFile.bytes,
      oldFile.saved_at,
      JSON.stringify(oldFile),
      oldFile.query,
      oldFile.phash,
    );
    for (const e of oldEvents)
      db.prepare(`INSERT INTO events (job_id, seq, type, data) VALUES (?, ?, ?, ?)`).run(
        'old',
        e.seq,
        e.type,
        JSON.stringify(e),
      );
    db.close();

    const store = await openSqliteStore(env.config);
    assert.deepEqual((await store.jobs.get('old'))?.results.files, [oldFile]);
    assert.deepEqual(await store.events.list('old'), oldEvents);
    const newFile = makeFile(2);
    await store.files.record('old', newFile);
    const newEvent = { ...oldEvents[0]!, file: newFile, index: 1, ts: 't2', seq: 2, run: 2 } as RunnerEvent;
    await store.events.append(newEvent);
    assert.deepEqual(await store.files.list('old', { offset: 0, limit: 10 }), [oldFile, newFile]);
    assert.deepEqual(await store.events.list('old'), [...oldEvents, newEvent]);
    await store.close();

    const check = new Database(databasePath(env.config), { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const row = check.prepare(`SELECT data, file_id FROM events WHERE seq = 2`).get() as {
      data: string;
      file_id: number;
    };
    assert.ok(row.file_id > 0, 'the new event references its file row');
    assert.ok(!row.data.includes(newFile.sha256) && !row.data.includes('"old"'), row.data);
    const doc = (check.prepare(`SELECT doc FROM files WHERE path = ?`).get(newFile.path) as { doc: string }).doc;
    assert.ok(!doc.includes(newFile.path) && !doc.includes(newFile.sha256) && doc.startsWith('['), doc);
    check.close();
  } finally {
    env.cleanup();
  }
});

test('every migration moves user_version up by exactly one (no gaps)', () => {
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  assert.ok(SCHEMA_VERSION >= 1);
});

test('a database written by a newer Harvester is refused with the versions named, and left untouched', async () => {
  const env = tempEnv();
  try {
    mkdirSync(env.config.dataDir, { recursive: true });
    const file = databasePath(env.config);
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.exec('CREATE TABLE future_things (x INTEGER)');
    db.close();
    const before = readFileSync(file);
    await assert.rejects(openSqliteStore(env.config), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(
        error.message,
        `database ${file} was written by a newer Harvester (schema v${SCHEMA_VERSION + 1}, this one knows v${SCHEMA_VERSION}); ` +
          'upgrade Harvester or point DATA_DIR elsewhere',
      );
      return true;
    });
    assert.deepEqual(readFileSync(file), before);
  } finally {
    env.cleanup();
  }
});

test('a file that is not a database is refused with a clear message and never replaced', async () => {
  const env = tempEnv();
  try {
    mkdirSync(env.config.dataDir, { recursive: true });
    const file = databasePath(env.config);
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
    const before = readFileSync(file);
    await assert.rejects(openSqliteStore(env.config), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /^database .*harvester\.db is corrupt or not a Harvester database/);
      return true;
    });
    assert.deepEqual(readFileSync(file), before);
    assert.equal(existsSync(`${file}-wal`), false);
  } finally {
    env.cleanup();
  }
});

test('a database with damaged pages is refused as corrupt, and left as it was', async () => {
  const env = tempEnv();
  try {
    const store = await openSqliteStore(env.config);
    await store.jobs.create(makeJob('j'), makeSpec());
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.files.record('j', makeFile(i + 1))));
    await store.close();
    const file = databasePath(env.config);
    // Keep the header, overwrite pages in the middle with garbage.
    const size = statSync(file).size;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    const before = readFileSync(file);
    await assert.rejects(openSqliteStore(env.config), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /^database .*harvester\.db is corrupt \(.+\); nothing was changed/);
      return true;
    });
    assert.deepEqual(readFileSync(file), before);
  } finally {
    env.cleanup();
  }
});

test('a DATA_DIR that cannot be created is a StoreError naming it', async () => {
  const env = tempEnv();
  try {
    writeFileSync(`${env.dir}/blocker`, 'a file where a directory should be');
    const config = { ...env.config, dataDir: `${env.dir}/blocker/data` };
    await assert.rejects(openSqliteStore(config), /cannot create DATA_DIR .*blocker\/data/);
  } finally {
    env.cleanup();
  }
});

test('processes opening a fresh database at the same moment all succeed and all their writes land', async () => {
  const env = tempEnv();
  try {
    const { spawn } = await import('node:child_process');
    const script = `
      import { loadConfig } from ${JSON.stringify(new URL('../../src/core/config.ts', import.meta.url).href)};
      import { openSqliteStore } from ${JSON.stringify(new URL('../../src/store/open.ts', import.meta.url).href)};
      const store = await openSqliteStore(loadConfig({ DATA_DIR: process.argv[1] }, {}));
      const id = 'p' + process.pid;
      const now = new Date().toISOString();
      await store.jobs.create({ job_id: id, status: 'running', query: 'q', sources: [], limit: 1, type: 'image', created_at: now,
        started_at: null, finished_at: null, duration_ms: null,
        results: { downloaded: 0, images: 0, videos: 0, source_stats: {}, successful_sources: [], failed_sources: [], files: [] } },
        { query: 'q', sources: [], limit: 1, type: 'image' });
      await store.close();
    `;
    const runs = Array.from(
      { length: 4 },
      () =>
        new Promise<number | null>((resolve) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', '--input-type=module', '-e', script, env.config.dataDir],
            { stdio: ['ignore', 'ignore', 'inherit'] },
          );
          child.on('close', resolve);
        }),
    );
    assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0]);
    const store = await openSqliteStore(env.config);
    assert.equal((await store.jobs.list()).length, 4);
    await store.close();
  } finally {
    env.cleanup();
  }
});
