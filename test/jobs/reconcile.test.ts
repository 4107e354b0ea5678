import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NotFoundError } from '../../src/core/errors.ts';
import { emptySourceStats, type SavedFile } from '../../src/core/types.ts';
import { reconcileJobFiles } from '../../src/jobs/reconcile.ts';
import { localDirectoryOutput } from '../../src/output/local-directory.ts';
import { openStore } from '../../src/store/open.ts';
import { makeFile, makeJob, makeSpec, tempEnv } from '../store/store-fixtures.ts';

/** A file on disk and the SavedFile that truly describes it. */
function realFile(downloadDir: string, n: number, overrides: Partial<SavedFile> = {}): SavedFile {
  const base = makeFile(n, overrides);
  const bytes = Buffer.alloc(base.bytes, n);
  const abs = join(downloadDir, base.path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, bytes);
  return { ...base, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function touch(downloadDir: string, rel: string, content = 'x', mtime?: Date): string {
  const abs = join(downloadDir, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  if (mtime) utimesSync(abs, mtime, mtime);
  return abs;
}

const dir = (downloadDir: string, source = 'google_images') => readdirSync(join(downloadDir, 'nature', source)).sort();

test('after a crash: .part leftovers go, rows of missing or wrong files go, intact files stay, counts follow', async () => {
  const env = tempEnv();
  const dl = env.config.downloadDir;
  try {
    const store = await openStore(env.config);
    await store.jobs.create(makeJob('j', makeSpec('nature', ['google_images'])), makeSpec('nature', ['google_images']));
    const intact = realFile(dl, 1);
    const missing = makeFile(2); // recorded, then killed before the rename: only a .part exists
    const truncated = { ...realFile(dl, 3), bytes: 99_999 };
    for (const f of [intact, missing, truncated]) await store.files.record('j', f);
    await store.jobs.saveSourceStats('j', 'google_images', {
      ...emptySourceStats(),
      status: 'running',
      downloaded: 3,
      images: 3,
      bytes: intact.bytes + missing.bytes + truncated.bytes,
    });
    touch(dl, 'nature/google_images/Xy9_random.part', 'half a file');

    const result = await reconcileJobFiles(localDirectoryOutput(env.config.downloadDir), store, 'j');
    assert.deepEqual(result, {
      keptFiles: 1,
      removedRows: 2,
      removedFiles: 1,
      removedPartFiles: 1,
      clearedPending: 0,
      sharedDirectories: [],
    });
    assert.deepEqual(dir(dl), ['nature_001.png']);
    const doc = await store.jobs.get('j');
    assert.deepEqual(
      doc?.results.files.map((f) => f.path),
      [intact.path],
    );
    assert.equal(doc?.results.source_stats.google_images?.downloaded, 1);
    assert.equal(doc?.results.source_stats.google_images?.bytes, intact.bytes);
    // Running it again changes nothing.
    assert.deepEqual(await reconcileJobFiles(localDirectoryOutput(env.config.downloadDir), store, 'j'), {
      keptFiles: 1,
      removedRows: 0,
      removedFiles: 0,
      removedPartFiles: 0,
      clearedPending: 0,
      sharedDirectories: [],
    });
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('a file with the right size but other content is caught by its SHA-256 (unless only sizes are checked)', async () => {
  const env = tempEnv();
  const dl = env.config.downloadDir;
  try {
    const store = await openStore(env.config);
    await store.jobs.create(makeJob('j'), makeSpec());
    const f = realFile(dl, 1);
    await store.files.record('j', { ...f, sha256: 'f'.repeat(64) });
    assert.equal(
      (await reconcileJobFiles(localDirectoryOutput(env.config.downloadDir), store, 'j', { verify: 'size' })).keptFiles,
      1,
    );
    const result = await reconcileJobFiles(localDirectoryOutput(env.config.downloadDir), store, 'j');
    assert.equal(result.removedRows, 1);
    assert.equal(result.removedFiles, 1);
    assert.equal(existsSync(join(dl, f.path)), false);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('unrecorded files: the job’s own newer media files are deleted; older files, other jobs’ files and foreign names stay', async () => {
  const env = tempEnv();
  const dl = env.config.downloadDir;
  try {
    const store = await openStore(env.config);
    const created = new Date(Date.now() - 60_000);
    await store.jobs.create(makeJob('old', makeSpec(), new Date(Date.now() - 3_600_000)), makeSpec());
    await store.jobs.update('old', { status: 'completed' });
    const byOld = realFile(dl, 5);
    await store.files.record('old', byOld);
    await store.jobs.create(makeJob('j', makeSpec(), created), makeSpec());
    await store.jobs.update('j', { status: 'interrupted' });

    touch(dl, 'nature/google_images/nature_006.png', 'renamed, never recorded'); // this job's
    touch(dl, 'nature/google_images/nature_002.png', 'from before the job', new Date(Date.now() - 86_400_000));
    touch(dl, 'nature/google_images/notes.txt', 'the user’s');
    touch(dl, 'nature/google_images/nature_005.png.json', '{}');

    const result = await reconcileJobFiles(localDirectoryOutput(env.config.downloadDir), store, 'j');
    assert.equal(result.removedFiles, 1);
    assert.deepEqual(dir(dl), ['nature_002.png', 'nature_005.png', 'nature_005.png.json', 'notes.txt']);
    assert.equal((await store.jobs.get('old'))?.results.files.length, 1);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('directories shared with another running job are left alone: its .part files are live', async () => {
  const env = tempEnv();
  const dl = env.config.downloadDir;
  try {
    const store = await openStore(env.config);
    await store.jobs.create(
      makeJob('j', makeSpec('nature', ['google_images', 'bing_images'])),
      makeSpec('nature', ['google_images', 'bing_images']),
    );
    await store.jobs.update('j', { status: 'interrupted' });
    // Another job with the same query (another spelling, same slug) is running now, on bing only.
    await store.jobs.create(
      makeJob('live', makeSpec('Nature!', ['bing_images'])),
      makeSpec('Nature!', ['bing_images']),
    );
    touch(dl, 'nature/bing_images/live-download.part');
    touch(dl, 'nature/bing_images/nature_001.png', 'the live job is about to record this');
    touch(dl, 'nature/google_images/dead-download.part');

    const result = await reconcileJobFiles(localDirectoryOutput(env.config.downloadDir), store, 'j');
    assert.deepEqual(result.sharedDirectories, ['nature/bing_images']);
    assert.equal(result.removedPartFiles, 1);
    assert.deepEqual(dir(dl, 'bing_images'), ['live-download.part', 'nature_001.png']);
    assert.deepEqual(dir(dl, 'google_images'), []);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('files a job had in flight (its pending rows) are deleted even in a shared directory, and the rows cleared', async () => {
  const env = tempEnv();
  const dl = env.config.downloadDir;
  try {
    const store = await openStore(env.config);
    await store.jobs.create(makeJob('j'), makeSpec());
    await store.jobs.create(makeJob('live'), makeSpec()); // shares every directory
    await store.files.addPending('j', 'nature/google_images/nature_007'); // extension unknown when registered
    await store.files.addPending('j', 'nature/google_images/nature_008.png');
    await store.files.addPending('j', 'nature/google_images/k3Jx9q.part'); // how the runner names its in-flight .part files
    touch(dl, 'nature/google_images/k3Jx9q.part', 'half');
    touch(dl, 'nature/google_images/nature_007.jpg', 'complete, unrecorded');
    touch(dl, 'nature/google_images/nature_008.png.part', 'half');
    touch(dl, 'nature/google_images/nature_070.png', 'another number, not ours');
    touch(dl, 'nature/google_images/other.part', 'the live job’s');

    const result = await reconcileJobFiles(localDirectoryOutput(env.config.downloadDir), store, 'j');
    assert.equal(result.removedFiles, 1);
    assert.equal(result.removedPartFiles, 2);
    assert.equal(result.clearedPending, 3);
    assert.deepEqual(dir(dl), ['nature_070.png', 'other.part']);
    assert.deepEqual(await store.files.listPending('j'), []);
    await store.close();
  } finally {
    env.cleanup();
  }
});

test('reconciling an unknown job is a NotFoundError', async () => {
  const env = tempEnv();
  try {
    const store = await openStore(env.config);
    await assert.rejects(
      reconcileJobFiles(localDirectoryOutput(env.config.downloadDir), store, 'ghost'),
      NotFoundError,
    );
    await store.close();
  } finally {
    env.cleanup();
  }
});
