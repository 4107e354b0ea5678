// Metadata rows and sample keys: CSV cells from outside text cannot become spreadsheet formulas,
// and keys depend on content (and, for a repeated hash, on the candidate id), never on order.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { SavedFile } from '../../../src/core/types.ts';
import { fileExtension, sampleKeys } from '../../../src/output/dataset/dataset-record.ts';
import { metadataCsv, metadataJsonl } from '../../../src/output/dataset/dataset-streams.ts';

function file(n: number, over: Partial<SavedFile> = {}): SavedFile {
  return {
    path: `q/pexels/q_00${n}.jpg`,
    query: 'q',
    source: 'pexels',
    kind: 'image',
    url: `https://x.example/${n}.jpg`,
    candidate_id: `pexels:${n}`,
    bytes: 1,
    sha256: String(n).repeat(64).slice(0, 64),
    mime: 'image/jpeg',
    width: 640,
    height: null,
    title: `t${n}`,
    page_url: null,
    thumbnail_url: null,
    author: null,
    license: null,
    license_url: null,
    phash: 'ffff0000ffff0000',
    duration_ms: 1,
    saved_at: '2026-12-01T00:00:00Z',
    ...over,
  };
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const c of chunks) out += c;
  return out;
}

test('metadata.csv defuses formulas and quotes separators; nulls are empty cells', async () => {
  const csv = await collect(metadataCsv([file(1, { title: '=HYPERLINK("http://evil","x")', author: 'Doe, Jane' })]));
  const [header, row] = csv.split('\r\n');
  assert.equal(
    header,
    'file_name,query,title,source,url,page_url,author,license,license_url,width,height,sha256,phash',
  );
  assert.equal(
    row,
    `q/pexels/q_001.jpg,q,"'=HYPERLINK(""http://evil"",""x"")",pexels,https://x.example/1.jpg,,"Doe, Jane",,,640,,${'1'.repeat(64)},ffff0000ffff0000`,
  );
});

test('metadata.jsonl is one object a line with file_name first', async () => {
  const lines = (await collect(metadataJsonl([file(1), file(2)]))).split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  assert.equal(Object.keys(JSON.parse(lines[0]!) as object)[0], 'file_name');
});

test('sample keys come from the content hash, whatever the order; a repeated hash gets a stable other key', () => {
  const a = file(1);
  const b = file(2);
  const twin = file(3, { sha256: a.sha256, candidate_id: 'openverse:9' });
  const forward = sampleKeys([a, b, twin]);
  assert.equal(forward[0], a.sha256.slice(0, 24));
  assert.equal(new Set(forward).size, 3);
  const backward = sampleKeys([b, a, twin]);
  assert.deepEqual(backward, [forward[1], forward[0], forward[2]]);
  for (const key of forward) assert.match(key, /^[0-9a-f]{24}$/);
});

test('extensions are plain lowercase words', () => {
  assert.equal(fileExtension('a/b/c.JPG'), 'jpg');
  assert.equal(fileExtension('a/b/c'), 'bin');
  assert.equal(fileExtension('a/b.d/c'), 'bin');
  assert.equal(fileExtension('a/b/c.tar gz'), 'bin');
});
