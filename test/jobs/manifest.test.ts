import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JobDocument, SavedFile } from '../../src/core/types.ts';
import { STALE_TMP_AGE_MS } from '../../src/output/atomic-file.ts';
import { localDirectoryOutput } from '../../src/output/local-directory.ts';
import { CSV_COLUMNS, csvCell, toCsv, writeManifests, type Manifest } from '../../src/jobs/manifest.ts';
import { makeFile, makeJob, makeSpec, tempEnv } from '../store/store-fixtures.ts';

function jobWith(jobId: string, files: SavedFile[], query = 'nature'): JobDocument {
  const job = makeJob(jobId, makeSpec(query));
  job.status = 'completed';
  job.results.files = files;
  return job;
}

function place(downloadDir: string, file: SavedFile): void {
  const abs = join(downloadDir, file.path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, Buffer.alloc(file.bytes, 1));
}

test('a job writes manifest.json and manifest.csv with the attribution of every file into its folder', async () => {
  const env = tempEnv();
  try {
    const files = [
      makeFile(1),
      makeFile(2, { source: 'bing_images', path: 'nature/bing_images/nature_002.png', author: null, license: null }),
    ];
    files.forEach((f) => place(env.config.downloadDir, f));
    const written = await writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('j1', files));
    const folder = join(env.config.downloadDir, 'nature');
    assert.deepEqual(written, {
      json: 'nature/manifest.json',
      csv: 'nature/manifest.csv',
      sidecars: 0,
      entries: 2,
    });

    const manifest = JSON.parse(readFileSync(join(env.config.downloadDir, written!.json), 'utf8')) as Manifest;
    assert.equal(manifest.query, 'nature');
    assert.deepEqual(
      manifest.jobs.map((j) => j.job_id),
      ['j1'],
    );
    assert.deepEqual(manifest.files[0], {
      file: 'google_images/nature_001.png',
      path: 'nature/google_images/nature_001.png',
      job_id: 'j1',
      source: 'google_images',
      kind: 'image',
      url: files[0]!.url,
      page_url: files[0]!.page_url,
      title: 'Photo 1',
      bytes: 1001,
      width: 640,
      height: 480,
      sha256: files[0]!.sha256,
      mime: 'image/png',
      author: 'Ada',
      license: 'CC BY 4.0',
      license_url: 'https://creativecommons.org/licenses/by/4.0/',
      phash: null,
      candidate_id: 'google_images:1',
      saved_at: files[0]!.saved_at,
    });

    const csv = readFileSync(join(env.config.downloadDir, written!.csv), 'utf8').split('\r\n');
    assert.equal(csv[0], CSV_COLUMNS.join(','));
    assert.equal(
      csv[0],
      'file,source,kind,url,page_url,title,bytes,width,height,sha256,author,license,license_url,phash,mime,candidate_id,job_id,saved_at',
    );
    assert.equal(csv.length, 4); // header, two rows, final empty after the last CRLF
    assert.ok(csv[2]!.startsWith('bing_images/nature_002.png,bing_images,image,'));
    // No temporary files left behind.
    assert.deepEqual(readdirSync(folder).sort(), ['bing_images', 'google_images', 'manifest.csv', 'manifest.json']);
  } finally {
    env.cleanup();
  }
});

test('CSV cells are quoted where needed and formulas from the internet are defused', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a, b'), '"a, b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('=HYPERLINK("http://evil","x")'), `"'=HYPERLINK(""http://evil"",""x"")"`);
  assert.equal(csvCell('+1 555'), "'+1 555");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tcmd'), `'\tcmd`);
  assert.equal(csvCell(' padded '), '" padded "');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(640), '640');
  const csv = toCsv([{ ...entryBase(), phash: null, title: '=1+1', author: 'Smith, J.' }]);
  assert.match(csv, /,'=1\+1,/);
  assert.match(csv, /,"Smith, J\.",/);
});

function entryBase() {
  return {
    file: 'a/x.png',
    path: 'q/a/x.png',
    job_id: 'j',
    source: 'openverse',
    kind: 'image',
    url: 'https://x/1.png',
    page_url: null,
    title: null,
    bytes: 1,
    width: null,
    height: null,
    sha256: 'ab',
    mime: 'image/png',
    author: null,
    license: null,
    license_url: null,
    candidate_id: 'openverse:1',
    saved_at: '2025-10-02T10:00:00.000Z',
  };
}

test('with writeMetadata each file gets a JSON sidecar beside it', async () => {
  const env = tempEnv();
  try {
    const files = [makeFile(1), makeFile(2)];
    files.forEach((f) => place(env.config.downloadDir, f));
    const written = await writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('j1', files), {
      writeMetadata: true,
    });
    assert.equal(written?.sidecars, 2);
    const sidecar = JSON.parse(
      readFileSync(join(env.config.downloadDir, 'nature/google_images/nature_001.png.json'), 'utf8'),
    ) as Record<string, unknown>;
    assert.equal(sidecar.job_id, 'j1');
    assert.equal(sidecar.query, 'nature');
    assert.equal(sidecar.url, files[0]!.url);
    assert.equal(sidecar.license, 'CC BY 4.0');
  } finally {
    env.cleanup();
  }
});

test('jobs sharing a folder share its manifest: a job replaces its own entries, others stay while their files exist', async () => {
  const env = tempEnv();
  try {
    const first = [makeFile(1), makeFile(2)];
    first.forEach((f) => place(env.config.downloadDir, f));
    await writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('first', first));

    const second = [makeFile(3)];
    second.forEach((f) => place(env.config.downloadDir, f));
    await writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('second', second));
    let manifest = JSON.parse(readFileSync(join(env.config.downloadDir, 'nature/manifest.json'), 'utf8')) as Manifest;
    assert.deepEqual(
      manifest.files.map((f) => `${f.job_id}:${f.file}`),
      [
        'first:google_images/nature_001.png',
        'first:google_images/nature_002.png',
        'second:google_images/nature_003.png',
      ],
    );
    assert.deepEqual(
      manifest.jobs.map((j) => j.job_id),
      ['first', 'second'],
    );

    // The second job resumes and saves one more; the user deleted one file of the first job.
    const resumed = [...second, makeFile(4)];
    place(env.config.downloadDir, makeFile(4));
    unlinkSync(join(env.config.downloadDir, makeFile(2).path));
    await writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('second', resumed));
    manifest = JSON.parse(readFileSync(join(env.config.downloadDir, 'nature/manifest.json'), 'utf8')) as Manifest;
    assert.deepEqual(
      manifest.files.map((f) => `${f.job_id}:${f.file}`),
      [
        'first:google_images/nature_001.png',
        'second:google_images/nature_003.png',
        'second:google_images/nature_004.png',
      ],
    );
    const csvRows = readFileSync(join(env.config.downloadDir, 'nature/manifest.csv'), 'utf8').trim().split('\r\n');
    assert.equal(csvRows.length, 4);
  } finally {
    env.cleanup();
  }
});

test('two jobs of the same folder finishing at once both end up in the manifest', async () => {
  const env = tempEnv();
  try {
    const a = [makeFile(1)];
    const b = [makeFile(2)];
    [...a, ...b].forEach((f) => place(env.config.downloadDir, f));
    await Promise.all([
      writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('a', a)),
      writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('b', b)),
    ]);
    const manifest = JSON.parse(readFileSync(join(env.config.downloadDir, 'nature/manifest.json'), 'utf8')) as Manifest;
    assert.deepEqual(manifest.files.map((f) => f.job_id).sort(), ['a', 'b']);
  } finally {
    env.cleanup();
  }
});

test('a job with no files in a folder with nothing else writes no manifest, and creates no folder', async () => {
  const env = tempEnv();
  try {
    assert.equal(
      await writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('empty', [], 'rare query')),
      null,
    );
    assert.equal(existsSync(join(env.config.downloadDir, 'rare-query')), false);
  } finally {
    env.cleanup();
  }
});

test('a damaged manifest from before is replaced, not fatal', async () => {
  const env = tempEnv();
  try {
    const files = [makeFile(1)];
    files.forEach((f) => place(env.config.downloadDir, f));
    writeFileSync(join(env.config.downloadDir, 'nature/manifest.json'), '{"files": [tru');
    const written = await writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('j', files));
    assert.equal(written?.entries, 1);
  } finally {
    env.cleanup();
  }
});

test('temporary files a killed write left behind are removed by the next write; fresh ones and other files stay', async () => {
  const env = tempEnv();
  try {
    const files = [makeFile(1)];
    files.forEach((f) => place(env.config.downloadDir, f));
    const folder = join(env.config.downloadDir, 'nature');
    const sourceDir = join(folder, 'google_images');
    const past = new Date(Date.now() - 10 * STALE_TMP_AGE_MS);
    // Leftovers of a write killed between writeFile and rename (the manifest's and a sidecar's).
    for (const path of [join(folder, '.0123456789ab.tmp'), join(sourceDir, '.abcdef012345.tmp')]) {
      writeFileSync(path, '{"half": ');
      utimesSync(path, past, past);
    }
    // Not the writer's own names (or too fresh to be a leftover): never touched.
    const kept = ['.notes.tmp', '.0123456789AB.tmp', 'photo.tmp', '.fedcba987654.tmp'];
    for (const name of kept) writeFileSync(join(folder, name), 'x');
    for (const name of kept.slice(0, 3)) utimesSync(join(folder, name), past, past);

    await writeManifests(localDirectoryOutput(env.config.downloadDir), jobWith('j1', files), { writeMetadata: true });
    assert.deepEqual(readdirSync(folder).sort(), [...kept, 'google_images', 'manifest.csv', 'manifest.json'].sort());
    assert.deepEqual(readdirSync(sourceDir).sort(), ['nature_001.png', 'nature_001.png.json']);
    assert.equal((JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Manifest).files.length, 1);
  } finally {
    env.cleanup();
  }
});
