// Store write benchmark ("recording must not slow downloading"; run by hand, not a test):
//   node --import tsx bench/store-writes.ts [--files 20000]
// Records FILES saved files and as many events into a fresh SQLite file the way the runner does
// (every call made at once, each awaited), first with the store's batching (one transaction per
// event-loop turn), then with batching off (maxBatch 1: one transaction per row, the naive way),
// and reports rows per second, µs per row and transactions used; then the same into a fresh
// PostgreSQL database (the store DATABASE_URL selects; needs the test server of
// scripts/test-setup.sh, or TEST_DATABASE_URL). Prints a Markdown table.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/core/config.ts';
import type { RunnerEvent } from '../src/core/events.ts';
import { emptySourceStats, type SavedFile } from '../src/core/types.ts';
import { openSqliteStore } from '../src/store/open.ts';
import { openPgStore } from '../src/store/pg-store.ts';
import type { Store } from '../src/store/store.ts';
import { createTestDatabase } from '../test/helpers/pg-database.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--files');
const FILES = at >= 0 ? Number(args[at + 1]) : 20_000;

function file(i: number): SavedFile {
  return {
    path: `nature/google_images/nature_${String(i).padStart(5, '0')}.jpg`,
    query: 'nature',
    phash: null,
    source: 'google_images',
    kind: 'image',
    url: `https://images.example.org/${i}.jpg`,
    candidate_id: `google_images:${i}`,
    bytes: 65536,
    sha256: i.toString(16).padStart(64, '0'),
    mime: 'image/jpeg',
    width: 1920,
    height: 1080,
    title: `A photo of nature number ${i}`,
    page_url: `https://example.org/photo/${i}`,
    thumbnail_url: null,
    author: 'Someone',
    license: 'CC BY 4.0',
    license_url: 'https://creativecommons.org/licenses/by/4.0/',
    duration_ms: 120,
    saved_at: new Date().toISOString(),
  };
}

/** A store to write into, its write counters when it has them, and how to throw it away. */
interface Target {
  store: Store;
  counters?: () => { transactions: number };
  dispose(): Promise<void>;
}

async function sqlite(maxBatch: number | undefined): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-bench-store-'));
  const store = await openSqliteStore(loadConfig({ DATA_DIR: dir }, {}), maxBatch === undefined ? {} : { maxBatch });
  return {
    store,
    counters: () => store.writeCounters,
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgres(): Promise<Target> {
  const db = await createTestDatabase();
  return { store: await openPgStore(db.url), dispose: () => db.drop() };
}

async function run(label: string, target: Target): Promise<string> {
  const { store } = target;
  try {
    const jobId = 'bench';
    await store.jobs.create(
      {
        job_id: jobId,
        status: 'running',
        query: 'nature',
        queries: ['nature'],
        sources: ['google_images'],
        limit: FILES,
        type: 'image',
        created_at: new Date().toISOString(),
        started_at: null,
        finished_at: null,
        duration_ms: null,
        results: {
          filtered: 0,
          filtered_reasons: { min_width: 0, min_height: 0, orientation: 0, license: 0 },
          near_duplicates: 0,
          query_stats: {},
          downloaded: 0,
          images: 0,
          videos: 0,
          source_stats: { google_images: emptySourceStats() },
          successful_sources: [],
          failed_sources: [],
          files: [],
        },
      },
      { query: 'nature', sources: ['google_images'], limit: FILES, type: 'image' },
    );
    const before = target.counters?.();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: FILES }, (_, i) => {
        const f = file(i);
        const event: RunnerEvent = {
          type: 'file_saved',
          job_id: jobId,
          ts: f.saved_at,
          seq: i + 1,
          run: 1,
          source: 'google_images',
          file: f,
          index: i,
        };
        return Promise.all([store.files.record(jobId, f), store.events.append(event)]);
      }),
    );
    const ms = performance.now() - started;
    const after = target.counters?.();
    await store.close();
    const rows = FILES * 2;
    return `| ${label} | ${rows} | ${Math.round(ms)} | ${Math.round(rows / (ms / 1000))} | ${((ms * 1000) / rows).toFixed(1)} | ${after && before ? after.transactions - before.transactions : 'n/a'} |`;
  } finally {
    await target.dispose();
  }
}

const lines = [
  `Store writes, ${FILES} files + ${FILES} events, ${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  '',
  '| mode | rows | wall ms | rows/s | µs/row | transactions |',
  '|---|---|---|---|---|---|',
  await run('SQLite, batched (default)', await sqlite(undefined)),
  await run('SQLite, one transaction per row', await sqlite(1)),
  await run('PostgreSQL (pg, one write chain per store)', await postgres()),
];
console.log(lines.join('\n'));
