// `harvester export` through the real CLI on a real job's files, read back with readers that are
// not ours: `tar -tf`, Python's tarfile and json, and the Hugging Face imagefolder conventions
// (the metadata file beside the files, `file_name` relative to it, pointing at a real file).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { JobDocument } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { cliEnv, runCli, type CliEnv } from './cli-harness.ts';

let sim: Simulation;
let e: CliEnv;
let job: JobDocument;

before(async () => {
  sim = await startSimulation({ sources: ['openverse', 'pexels'], latencyMs: 2 });
  e = cliEnv({ ...sim.env });
  const r = await runCli(
    ['search', 'red fox', 'snow owl', '--sources', 'openverse,pexels', '--limit', '3', '--json'],
    e,
  );
  assert.equal(r.code, 0, r.stderr);
  job = JSON.parse(r.stdout) as JobDocument;
  assert.ok(job.results.files.length >= 8, `the job saved files to export (${job.results.files.length})`);
});
after(async () => {
  e.cleanup();
  await sim.close();
});

const FIELDS = [
  'query',
  'title',
  'source',
  'url',
  'page_url',
  'author',
  'license',
  'license_url',
  'width',
  'height',
  'sha256',
  'phash',
];

function python(script: string, ...args: string[]): unknown {
  return JSON.parse(execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' }));
}

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

test('jsonl: metadata.jsonl beside hard-linked files, file_name relative, every field of every file', async () => {
  const out = join(e.dir, 'set-jsonl');
  const r = await runCli(['export', job.job_id.slice(0, 8), '--format', 'jsonl', '--out', out], e);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), out);
  // Read with Python's json, as a training script would, and resolve file_name against the folder.
  const rows = python(
    `import json, os, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(d, 'metadata.jsonl'), encoding='utf-8')]
for r in rows:
    assert not os.path.isabs(r['file_name']) and '..' not in r['file_name'].split('/'), r['file_name']
    r['exists'] = os.path.isfile(os.path.join(d, r['file_name']))
print(json.dumps(rows))`,
    out,
  ) as Record<string, unknown>[];
  assert.equal(rows.length, job.results.files.length);
  for (const [i, file] of job.results.files.entries()) {
    const row = rows[i]!;
    assert.deepEqual(Object.keys(row), ['file_name', ...FIELDS, 'exists']);
    assert.equal(row.exists, true, `${String(row.file_name)} lies below the export folder`);
    assert.equal(row.file_name, file.path);
    for (const f of FIELDS) assert.deepEqual(row[f], file[f as keyof typeof file], `${file.path}: ${f}`);
    const exported = join(out, file.path);
    assert.equal(sha256Of(exported), file.sha256);
    // A hard link: the same inode as the job's file, no second copy on disk.
    assert.equal(statSync(exported).ino, statSync(join(e.downloadDir, file.path)).ino);
  }
  assert.ok(
    rows.some((row) => row.license !== null && row.author !== null),
    'licences and authors came through',
  );
});

test("csv: metadata.csv read by Python's csv module, same rows, with ATTRIBUTION.md", async () => {
  const out = join(e.dir, 'set-csv');
  const r = await runCli(['export', job.job_id, '--format', 'csv', '--out', out, '--attribution'], e);
  assert.equal(r.code, 0, r.stderr);
  const rows = python(
    `import csv, json, os, sys
d = sys.argv[1]
with open(os.path.join(d, 'metadata.csv'), newline='', encoding='utf-8') as f:
    rows = list(csv.DictReader(f))
print(json.dumps({'columns': list(rows[0].keys()), 'rows': rows, 'files': [os.path.isfile(os.path.join(d, r['file_name'])) for r in rows]}))`,
    out,
  ) as { columns: string[]; rows: Record<string, string>[]; files: boolean[] };
  assert.deepEqual(rows.columns, ['file_name', ...FIELDS]);
  assert.equal(rows.rows.length, job.results.files.length);
  assert.ok(rows.files.every(Boolean));
  for (const [i, file] of job.results.files.entries()) {
    assert.equal(rows.rows[i]!.sha256, file.sha256);
    assert.equal(rows.rows[i]!.width, file.width === null ? '' : String(file.width));
  }
  const attribution = readFileSync(join(out, 'ATTRIBUTION.md'), 'utf8');
  assert.equal(attribution.match(/^## /gm)?.length, job.results.files.length, 'one section per file');
  const licensed = job.results.files.find((f) => f.license_url !== null)!;
  assert.ok(attribution.includes(`(<${new URL(licensed.license_url!).href}>)`), 'the licence links to its deed');
  assert.deepEqual(readdirSync(out).sort(), ['ATTRIBUTION.md', 'metadata.csv', 'red-fox', 'snow-owl']);
});

test('webdataset: shards of --shard-size samples that tar and Python read, keys stable across exports', async () => {
  const out = join(e.dir, 'set-wds');
  const r = await runCli(['export', job.job_id, '--format', 'webdataset', '--shard-size', '3', '--out', out], e);
  assert.equal(r.code, 0, r.stderr);
  const n = job.results.files.length;
  const shards = readdirSync(out).sort();
  assert.deepEqual(
    shards,
    Array.from({ length: Math.ceil(n / 3) }, (_, i) => `${String(i).padStart(5, '0')}.tar`),
  );
  // GNU tar lists each sample as <key>.<ext>, <key>.json, <key>.txt, adjacent.
  const listed = execFileSync('tar', ['-tf', join(out, '00000.tar')], { encoding: 'utf8' })
    .trim()
    .split('\n');
  assert.equal(listed.length, 9);
  for (let i = 0; i < 9; i += 3) {
    const key = listed[i]!.split('.')[0]!;
    assert.match(key, /^[0-9a-f]{24}$/);
    assert.deepEqual(listed.slice(i + 1, i + 3), [`${key}.json`, `${key}.txt`]);
  }
  const samples = python(
    `import json, os, sys, tarfile, hashlib
d = sys.argv[1]
out = []
for name in sorted(os.listdir(d)):
    with tarfile.open(os.path.join(d, name), 'r:') as t:
        members = t.getmembers()
        assert all(m.isfile() for m in members)
        by_key = {}
        for m in members:
            key, ext = m.name.split('.', 1)
            data = t.extractfile(m).read()
            s = by_key.setdefault(key, {'key': key, 'shard': name})
            if ext == 'json': s['json'] = json.loads(data)
            elif ext == 'txt': s['caption'] = data.decode('utf-8')
            else: s['ext'] = ext; s['sha256'] = hashlib.sha256(data).hexdigest()
        out.extend(by_key.values())
print(json.dumps(out))`,
    out,
  ) as { key: string; shard: string; json: Record<string, unknown>; caption: string; ext: string; sha256: string }[];
  assert.equal(samples.length, n);
  for (const [i, file] of job.results.files.entries()) {
    const s = samples[i]!;
    assert.equal(s.sha256, file.sha256, 'the media bytes are the saved file');
    assert.equal(s.key, file.sha256.slice(0, 24));
    assert.equal(s.ext, file.path.split('.').pop());
    assert.equal(s.caption, file.title ?? '');
    assert.deepEqual(Object.keys(s.json), FIELDS);
    assert.equal(s.json.query, file.query);
    assert.equal(s.shard, `${String(Math.floor(i / 3)).padStart(5, '0')}.tar`);
  }
  // A second export of the same job, in other shard sizes: the same key names each picture.
  const again = join(e.dir, 'set-wds-2');
  assert.equal((await runCli(['export', job.job_id, '--format', 'webdataset', '--out', again], e)).code, 0);
  const keys2 = execFileSync('tar', ['-tf', join(again, '00000.tar')], { encoding: 'utf8' })
    .trim()
    .split('\n');
  assert.deepEqual(
    keys2.filter((k) => k.endsWith('.json')),
    samples.map((s) => `${s.key}.json`),
  );
});

test('a folder that is not empty, an unknown job or a bad flag: exit 2 and nothing written', async () => {
  const used = join(e.dir, 'used');
  mkdirSync(used);
  writeFileSync(join(used, 'keep.txt'), 'mine');
  const r = await runCli(['export', job.job_id, '--format', 'jsonl', '--out', used], e);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is not empty .*nothing was written/);
  assert.deepEqual(readdirSync(used), ['keep.txt']);
  const unknown = await runCli(['export', 'ffffffff-none', '--format', 'csv'], e);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no job "ffffffff-none"/);
  const badFormat = await runCli(['export', job.job_id, '--format', 'parquet'], e);
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /--format must be one of jsonl, csv, webdataset/);
  const shardCsv = await runCli(['export', job.job_id, '--format', 'csv', '--shard-size', '5'], e);
  assert.equal(shardCsv.code, 2);
  assert.match(shardCsv.stderr, /--shard-size applies only to --format webdataset/);
  const zero = await runCli(['export', job.job_id, '--format', 'webdataset', '--shard-size', '0'], e);
  assert.equal(zero.code, 2);
  assert.equal(
    readdirSync(e.downloadDir).some((n) => n.endsWith('-export')),
    false,
    'no default folder was made by a refused export',
  );
});

test('the default folder is DOWNLOAD_DIR/<query>-<job>-export; a missing file is left out and named (exit 3)', async () => {
  const gone = job.results.files[0]!;
  const saved = readFileSync(join(e.downloadDir, gone.path));
  rmSync(join(e.downloadDir, gone.path));
  try {
    const r = await runCli(['export', job.job_id, '--format', 'jsonl'], e);
    assert.equal(r.code, 3, r.stderr);
    const dir = join(e.downloadDir, `red-fox-${job.job_id.slice(0, 8)}-export`);
    assert.equal(r.stdout.trim(), dir);
    assert.match(r.stderr, new RegExp(`left out ${gone.path}: no longer on disk`));
    const lines = readFileSync(join(dir, 'metadata.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, job.results.files.length - 1);
    assert.ok(!lines.some((l) => l.includes(gone.sha256)));
  } finally {
    writeFileSync(join(e.downloadDir, gone.path), saved);
  }
});

test('on another file system the files are copied, not linked', async (t) => {
  const shm = '/dev/shm';
  if (!existsSync(shm) || statSync(shm).dev === statSync(e.dir).dev) {
    t.skip(`SKIPPED: ${shm} is not a separate file system here, so a cross-device export cannot be made`);
    return;
  }
  const out = mkdtempSync(join(shm, 'harvester-export-'));
  try {
    const r = await runCli(['export', job.job_id, '--format', 'jsonl', '--out', out], e);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${job.results.files.length} copied`));
    for (const file of job.results.files) assert.equal(sha256Of(join(out, file.path)), file.sha256);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
