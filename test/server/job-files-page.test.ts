// The API's job document lists the first 100 files and `results.files_total`; GET
// /api/jobs/:id/files pages every file, in the order saved; bad paging is a 400 naming the field.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import type { JobDocument, SavedFile } from '../../src/core/types.ts';
import { makePng } from '../../src/demo/media.ts';
import { call, serverFactory } from './helpers.ts';

const server = serverFactory();

/** A media host with a distinct small PNG at every `/f/<n>.png`. */
async function mediaHost(): Promise<string> {
  const host = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(makePng(req.url ?? '', 8, 8));
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => host.close(() => resolve())));
  return `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
}

interface FilesPage {
  job_id: string;
  offset: number;
  limit: number;
  total: number;
  next_offset: number | null;
  files: SavedFile[];
}

describe('paging the files of a job', () => {
  test('a job of 130 files: the document lists 100 with files_total, /files pages all 130', async () => {
    const base = await mediaHost();
    // Tiny noise images: near-duplicate hashing would keep only some of them.
    const s = await server({ env: { ALLOW_PRIVATE_NETWORKS: 'true', NEAR_DUPLICATE_DISTANCE: '-1' } });
    const urls = Array.from({ length: 130 }, (_, i) => `${base}/f/${i}.png`);
    const submitted = await s.jobs.submit({ query: 'pages', sources: [], urls, limit: urls.length, type: 'any' });
    const full = await s.jobs.wait(submitted.job_id);
    assert.equal(full.results.files.length, 130, 'the service still gives the whole document');

    const answer = await call(s.url, 'GET', `/api/jobs/${submitted.job_id}`);
    assert.equal(answer.status, 200, answer.text);
    const doc = answer.body as JobDocument;
    assert.equal(doc.results.files.length, 100);
    assert.equal(doc.results.files_total, 130);
    assert.equal(doc.results.downloaded, 130, 'the totals count every file');
    assert.deepEqual(doc.results.files, full.results.files.slice(0, 100));

    const paged: SavedFile[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page = await call(s.url, 'GET', `/api/jobs/${submitted.job_id}/files?offset=${offset}&limit=40`);
      assert.equal(page.status, 200, page.text);
      const body = page.body as FilesPage;
      assert.equal(body.total, 130);
      assert.equal(body.offset, offset);
      paged.push(...body.files);
      offset = body.next_offset;
    }
    assert.deepEqual(paged, full.results.files, 'the pages together are the whole list, in order');

    const past = (await call(s.url, 'GET', `/api/jobs/${submitted.job_id}/files?offset=500`)).body as FilesPage;
    assert.deepEqual([past.files.length, past.next_offset], [0, null]);
  });

  test('bad offset or limit is a 400 naming the field; an unknown job is a 404', async () => {
    const s = await server();
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [query, field] of [
      ['offset=-1', 'offset'],
      ['offset=x', 'offset'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=2.5', 'limit'],
    ] as const) {
      const answer = await call(s.url, 'GET', `/api/jobs/${id}/files?${query}`);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assert.match(answer.text, new RegExp(field), `${query}: ${answer.text}`);
    }
    const missing = await call(s.url, 'GET', `/api/jobs/${id}/files`);
    assert.equal(missing.status, 404, missing.text);
  });
});
