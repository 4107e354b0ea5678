// A job's files over real HTTP: the right Content-Type and bytes, Range requests, conditional
// requests, the streamed ZIP of the whole job, and no way out of DOWNLOAD_DIR — not through the
// URL, not through a tampered database path, not through a symlink.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { JobDocument } from '../../src/core/types.ts';
import { call, startTestServer, type TestServer } from './helpers.ts';
import { readZip } from './zip-reader.ts';

let s: TestServer;
let job: JobDocument;

before(async () => {
  s = await startTestServer({ sources: ['google_images', 'yandex_images'] });
  const answer = await call(s.url, 'POST', '/api/jobs', {
    body: { query: 'puffin', sources: ['google_images', 'yandex_images'], limit: 3 },
  });
  assert.equal(answer.status, 202, answer.text);
  job = await s.jobs.wait((answer.body as { job_id: string }).job_id);
  assert.equal(job.results.files.length, 6);
});
after(async () => {
  await s.dispose();
});

function onDisk(index: number): Buffer {
  return readFileSync(join(s.config.downloadDir, job.results.files[index]!.path));
}

async function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(`${s.url}${path}`, { headers });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

describe('GET /api/jobs/:id/files/:n', () => {
  test('serves the file with its sniffed type, length, validators and a sandboxing policy', async () => {
    const file = job.results.files[0]!;
    const answer = await get(`/api/jobs/${job.job_id}/files/0`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('content-type'), file.mime);
    assert.equal(file.mime, 'image/png');
    assert.equal(Number(answer.headers.get('content-length')), file.bytes);
    assert.equal(answer.headers.get('accept-ranges'), 'bytes');
    assert.match(answer.headers.get('content-disposition') ?? '', /^inline; filename="/);
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    assert.match(answer.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.deepEqual(answer.body, onDisk(0));
    assert.equal(createHash('sha256').update(answer.body).digest('hex'), file.sha256);
    const etag = answer.headers.get('etag')!;
    assert.equal((await get(`/api/jobs/${job.job_id}/files/0`, { 'if-none-match': etag })).status, 304);
    const download = await get(`/api/jobs/${job.job_id}/files/0?download=1`);
    assert.match(download.headers.get('content-disposition') ?? '', /^attachment;/);
  });

  test('answers Range requests with 206 and exactly the asked bytes', async () => {
    const whole = onDisk(1);
    const size = whole.length;
    const first = await get(`/api/jobs/${job.job_id}/files/1`, { range: 'bytes=0-9' });
    assert.equal(first.status, 206);
    assert.equal(first.headers.get('content-range'), `bytes 0-9/${size}`);
    assert.deepEqual(first.body, whole.subarray(0, 10));
    const tail = await get(`/api/jobs/${job.job_id}/files/1`, { range: 'bytes=-7' });
    assert.equal(tail.status, 206);
    assert.equal(tail.headers.get('content-range'), `bytes ${size - 7}-${size - 1}/${size}`);
    assert.deepEqual(tail.body, whole.subarray(size - 7));
    const open = await get(`/api/jobs/${job.job_id}/files/1`, { range: 'bytes=20-' });
    assert.deepEqual(open.body, whole.subarray(20));
    const beyond = await get(`/api/jobs/${job.job_id}/files/1`, { range: `bytes=${size}-` });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${size}`);
    // Several ranges at once are not served piecewise: the whole file comes back.
    const multi = await get(`/api/jobs/${job.job_id}/files/1`, { range: 'bytes=0-1,4-5' });
    assert.equal(multi.status, 200);
    assert.deepEqual(multi.body, whole);
    // If-Range with another validator: the whole (changed) file.
    const stale = await get(`/api/jobs/${job.job_id}/files/1`, { range: 'bytes=0-9', 'if-range': '"other"' });
    assert.equal(stale.status, 200);
  });

  test('is 404 for an index past the end and 400 for one that is not a number', async () => {
    const missing = await call(s.url, 'GET', `/api/jobs/${job.job_id}/files/6`);
    assert.equal(missing.status, 404);
    assert.match((missing.body as { message: string }).message, /has no file 6 \(it has 6\)/);
    for (const bad of ['-1', '1.5', '..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '0x1']) {
      const answer = await call(s.url, 'GET', `/api/jobs/${job.job_id}/files/${bad}`);
      assert.equal(answer.status, 400, `files/${bad}`);
    }
  });
});

describe('GET /api/jobs/:id/archive.zip', () => {
  test('streams every file of the job and its document as a ZIP', async () => {
    const response = await fetch(`${s.url}/api/jobs/${job.job_id}/archive.zip`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/zip');
    assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="harvester-puffin-/);
    // Streamed as it is built: no length known up front.
    assert.equal(response.headers.get('content-length'), null);
    assert.equal(response.headers.get('transfer-encoding'), 'chunked');
    const entries = readZip(Buffer.from(await response.arrayBuffer()));
    const names = entries.map((e) => e.name);
    assert.equal(names.length, 7);
    assert.ok(names.includes('job.json'));
    for (const file of job.results.files) {
      const name = `${file.source}/${file.path.split('/').pop()}`;
      const entry = entries.find((e) => e.name === name);
      assert.ok(entry, `${name} is in the archive`);
      assert.equal(entry.method, 0, 'media are stored, not deflated again');
      assert.equal(createHash('sha256').update(entry.data).digest('hex'), file.sha256);
    }
    const manifest = JSON.parse(entries.find((e) => e.name === 'job.json')!.data.toString('utf8')) as JobDocument;
    assert.equal(manifest.job_id, job.job_id);
    assert.equal(manifest.results.files.length, 6);
  });

  test('is a JSON 404 for an unknown job', async () => {
    const answer = await call(s.url, 'GET', '/api/jobs/unknown-job/archive.zip');
    assert.equal(answer.status, 404);
  });
});

describe('files cannot be read outside DOWNLOAD_DIR', () => {
  test('even when the database holds a tampered path or a symlink leads out', async () => {
    const secret = join(s.dir, 'secret.txt');
    writeFileSync(secret, 'top secret');
    symlinkSync(secret, join(s.config.downloadDir, 'innocent.png'));
    const db = new Database(join(s.config.dataDir, 'harvester.db'), { timeout: 5000 });
    const tamper = (index: number, path: string): void => {
      const rows = db.prepare('SELECT id FROM files WHERE job_id = ? ORDER BY id').all(job.job_id) as { id: number }[];
      db.prepare(`UPDATE files SET path = ?, doc = json_set(doc, '$.path', ?) WHERE id = ?`).run(
        path,
        path,
        rows[index]!.id,
      );
    };
    try {
      tamper(2, '../secret.txt');
      tamper(3, secret);
      tamper(4, 'innocent.png');
      tamper(5, '../../../../../../etc/passwd');
      const doc = (await s.jobs.get(job.job_id))!;
      assert.equal(doc.results.files[2]!.path, '../secret.txt', 'the store returns the tampered path');
      for (const index of [2, 3, 4, 5]) {
        const answer = await call(s.url, 'GET', `/api/jobs/${job.job_id}/files/${index}`);
        assert.equal(answer.status, 404, `file ${index} (${doc.results.files[index]!.path})`);
        assert.doesNotMatch(answer.text, /top secret|root:/);
      }
      const zip = readZip(
        Buffer.from(await (await fetch(`${s.url}/api/jobs/${job.job_id}/archive.zip`)).arrayBuffer()),
      );
      assert.equal(zip.length, 3, 'only the two genuine files and job.json');
      for (const entry of zip) assert.doesNotMatch(entry.data.toString('latin1'), /top secret|root:x/);
    } finally {
      db.close();
      rmSync(join(s.config.downloadDir, 'innocent.png'), { force: true });
    }
  });
});
