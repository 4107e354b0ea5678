// GET /api/jobs/:id/export over real HTTP: the metadata file or a tar stream that Python's
// tarfile reads, shards as `harvester export` numbers them, parameters typed and checked, and
// the token required like every other /api route.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { JobDocument } from '../../src/core/types.ts';
import { call, startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;
let job: JobDocument;
const TOKEN = 'export-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

before(async () => {
  s = await startTestServer({ sources: ['google_images', 'yandex_images'], env: { API_TOKEN: TOKEN } });
  const answer = await call(s.url, 'POST', '/api/jobs', {
    body: { query: 'puffin', sources: ['google_images', 'yandex_images'], limit: 3 },
    headers: auth,
  });
  assert.equal(answer.status, 202, answer.text);
  job = await s.jobs.wait((answer.body as { job_id: string }).job_id);
  assert.equal(job.results.files.length, 6);
});
after(async () => {
  await s.dispose();
});

async function get(
  path: string,
  headers: Record<string, string> = auth,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(`${s.url}${path}`, { headers });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

function readTar(tar: Buffer): { name: string; size: number; sha256: string; text: string }[] {
  const script = `import io, json, sys, tarfile, hashlib
with tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode='r:') as t:
    out = []
    for m in t.getmembers():
        data = t.extractfile(m).read()
        out.append({'name': m.name, 'size': m.size, 'sha256': hashlib.sha256(data).hexdigest(), 'text': data.decode('utf-8', 'replace') if not m.name.endswith(('.png', '.jpg', '.gif', '.webp')) else ''})
print(json.dumps(out))`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: tar, encoding: 'utf8' })) as ReturnType<
    typeof readTar
  >;
}

test('jsonl and csv send the imagefolder metadata of every file', async () => {
  const jsonl = await get(`/api/jobs/${job.job_id}/export?format=jsonl`);
  assert.equal(jsonl.status, 200);
  assert.match(jsonl.headers.get('content-type') ?? '', /^application\/x-ndjson/);
  assert.match(jsonl.headers.get('content-disposition') ?? '', /filename="metadata\.jsonl"/);
  const rows = jsonl.body
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    rows.map((r) => r.file_name),
    job.results.files.map((f) => f.path),
  );
  assert.deepEqual(
    rows.map((r) => r.sha256),
    job.results.files.map((f) => f.sha256),
  );
  const csv = await get(`/api/jobs/${job.job_id}/export?format=csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  assert.equal(csv.body.toString('utf8').trim().split('\r\n').length, job.results.files.length + 1);
});

test("webdataset streams a tar Python reads: each sample's bytes, record and caption; one shard with shard=", async () => {
  const whole = await get(`/api/jobs/${job.job_id}/export?format=webdataset`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-type'), 'application/x-tar');
  const members = readTar(whole.body);
  assert.equal(members.length, 3 * job.results.files.length);
  for (const [i, file] of job.results.files.entries()) {
    const [media, json, txt] = members.slice(3 * i, 3 * i + 3);
    const key = file.sha256.slice(0, 24);
    assert.equal(media!.name, `${key}.${file.path.split('.').pop()}`);
    assert.equal(
      media!.sha256,
      createHash('sha256')
        .update(
          Buffer.from(
            await (await fetch(`${s.url}/api/jobs/${job.job_id}/files/${i}`, { headers: auth })).arrayBuffer(),
          ),
        )
        .digest('hex'),
    );
    assert.equal(media!.sha256, file.sha256);
    assert.equal(json!.name, `${key}.json`);
    assert.equal((JSON.parse(json!.text) as { query: string }).query, 'puffin');
    assert.equal(txt!.name, `${key}.txt`);
    assert.equal(txt!.text, file.title ?? '');
  }
  const second = await get(`/api/jobs/${job.job_id}/export?format=webdataset&shard=1&shard_size=4`);
  assert.equal(second.status, 200);
  assert.match(second.headers.get('content-disposition') ?? '', /filename="puffin-00001\.tar"/);
  assert.deepEqual(
    readTar(second.body).map((m) => m.name),
    members.slice(12).map((m) => m.name),
    'shard 1 of 4 holds samples 5 and 6',
  );
  const past = await get(`/api/jobs/${job.job_id}/export?format=webdataset&shard=2&shard_size=4`);
  assert.equal(past.status, 404);
});

test('bad parameters are refused naming the field; the token is required', async () => {
  for (const [query, field] of [
    ['', 'format'],
    ['format=zip', 'format'],
    ['format=webdataset&shard_size=0', 'shard_size'],
    ['format=webdataset&shard_size=abc', 'shard_size'],
    ['format=webdataset&shard=-1', 'shard'],
    ['format=jsonl&shard=0', 'shard'],
    ['format=jsonl&extra=1', 'extra'],
  ] as const) {
    const answer = await call(s.url, 'GET', `/api/jobs/${job.job_id}/export?${query}`, { headers: auth });
    assert.equal(answer.status, 400, `${query}: ${answer.text}`);
    assert.match((answer.body as { message: string }).message, new RegExp(field), query);
  }
  assert.equal((await get(`/api/jobs/00000000-0000-4000-8000-000000000000/export?format=csv`)).status, 404);
  assert.equal((await get(`/api/jobs/${job.job_id}/export?format=csv`, {})).status, 401);
  assert.equal(
    (await get(`/api/jobs/${job.job_id}/export?format=csv&access_token=${TOKEN}`, {})).status,
    200,
    'a browser download may carry the token in the URL',
  );
});
