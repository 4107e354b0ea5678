// The Content-Security-Policy follows the route, not the answer's content type: a browser that
// reloads the page gets a 304 (no content type) and keeps the cached page under the 304's
// headers, so a 304 carrying the API's `sandbox` policy blanked every reloaded page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { API_CSP, UI_CSP } from '../../src/server/security-headers.ts';
import { startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
let webRoot: string;
before(async () => {
  webRoot = mkdtempSync(join(tmpdir(), 'harvester-web-'));
  writeFileSync(
    join(webRoot, 'index.html'),
    '<!doctype html><title>t</title><script type="module" src="/app.js"></script>',
  );
  writeFileSync(join(webRoot, 'app.js'), 'document.title = "ok";\n');
  writeFileSync(join(webRoot, 'app.css'), 'body { margin: 0 }\n');
  server = await startTestServer({ webRoot });
});
after(async () => {
  await server.dispose();
  rmSync(webRoot, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: { get(name: string): string | null };
}

/** One plain request (fetch would add `cache-control: no-cache` to a conditional request, defeating the 304). */
async function head(
  path: string,
  init: { method?: 'GET' | 'HEAD'; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const answer = await request(`${server.url}${path}`, { method: init.method ?? 'GET', headers: init.headers ?? {} });
  await answer.body.dump();
  const get = (name: string): string | null => {
    const value = answer.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  return { status: answer.statusCode, headers: { get } };
}

describe('Content-Security-Policy by route', () => {
  for (const path of ['/', '/app.js', '/app.css']) {
    test(`${path}: 200, HEAD and both kinds of 304 carry the UI's policy`, async () => {
      const first = await head(path);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('content-security-policy'), UI_CSP);
      const etag = first.headers.get('etag');
      const modified = first.headers.get('last-modified');
      assert.ok(etag, 'the UI answers with an ETag');
      assert.ok(modified, 'the UI answers with Last-Modified');

      const byEtag = await head(path, { headers: { 'if-none-match': etag } });
      assert.equal(byEtag.status, 304);
      assert.equal(byEtag.headers.get('content-security-policy'), UI_CSP);
      assert.equal(byEtag.headers.get('x-content-type-options'), 'nosniff');

      const byDate = await head(path, { headers: { 'if-modified-since': modified } });
      assert.equal(byDate.status, 304);
      assert.equal(byDate.headers.get('content-security-policy'), UI_CSP);

      const headOnly = await head(path, { method: 'HEAD' });
      assert.equal(headOnly.status, 200);
      assert.equal(headOnly.headers.get('content-security-policy'), UI_CSP);
    });
  }

  test('a missing UI asset gets the UI policy; a missing API route the API policy', async () => {
    const asset = await head('/missing.js');
    assert.equal(asset.status, 404);
    assert.equal(asset.headers.get('content-security-policy'), UI_CSP);
    for (const path of ['/api/nothing', '/api/jobs/no-such-job', '/api/jobs/no-such-job/files/0']) {
      const api = await head(path);
      assert.equal(api.status, 404, path);
      assert.equal(api.headers.get('content-security-policy'), API_CSP, path);
    }
  });

  test('API answers keep the sandbox policy, including 304s, errors and HEAD', async () => {
    const list = await head('/api/jobs');
    assert.equal(list.headers.get('content-security-policy'), API_CSP);
    assert.equal((await head('/api/jobs?limit=abc')).headers.get('content-security-policy'), API_CSP);
    assert.equal((await head('/api/jobs', { method: 'HEAD' })).headers.get('content-security-policy'), API_CSP);
    assert.equal((await head('/metrics')).headers.get('content-security-policy'), API_CSP);
    const created = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'csp', limit: 1 }),
    });
    const { job_id: id } = (await created.json()) as { job_id: string };
    const doc = await head(`/api/jobs/${id}`);
    const etag = doc.headers.get('etag');
    assert.ok(etag);
    const notModified = await head(`/api/jobs/${id}`, { headers: { 'if-none-match': etag } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get('content-security-policy'), API_CSP);
  });
});
