// Security over real HTTP: the bearer token (on and off), ?access_token= only where a browser
// cannot send headers, the open health probe, the per-client rate limit, security headers and the
// listen policy.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkListenPolicy, isLoopbackHost } from '../../src/server/start.ts';
import { tokenMatches } from '../../src/server/auth.ts';
import { call, readSse, startTestServer, type TestServer } from './helpers.ts';

const TOKEN = 'correct-horse-battery';
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.dispose();
});

describe('with API_TOKEN set', () => {
  test('every /api route and /metrics need the bearer token; /api/health does not', async () => {
    const s = await startTestServer({ env: { API_TOKEN: TOKEN } });
    servers.push(s);
    const before = await call(s.url, 'GET', '/api/jobs', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(before.status, 200);
    const jobsBefore = (before.body as { jobs: unknown[] }).jobs.length;

    for (const [method, path] of [
      ['GET', '/api/jobs'],
      ['GET', '/api/sources'],
      ['GET', '/api/logs'],
      ['GET', '/api/stats'],
      ['GET', '/api/openapi.json'],
      ['GET', '/api/jobs/some-id'],
      ['POST', '/api/jobs/some-id/cancel'],
      ['GET', '/metrics'],
      ['GET', '/api/unknown-route'],
    ] as const) {
      const none = await call(s.url, method, path);
      assert.equal(none.status, 401, `${method} ${path} without a token`);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer');
      assert.equal((none.body as { code: string }).code, 'UNAUTHORIZED');
      const wrong = await call(s.url, method, path, { headers: { authorization: 'Bearer wrong-token-value' } });
      assert.equal(wrong.status, 401, `${method} ${path} with a wrong token`);
    }
    const refused = await call(s.url, 'POST', '/api/jobs', {
      body: { query: 'cats' },
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    });
    assert.equal(refused.status, 401);
    const after = await call(s.url, 'GET', '/api/jobs', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal((after.body as { jobs: unknown[] }).jobs.length, jobsBefore, 'a refused POST created nothing');

    assert.equal((await call(s.url, 'GET', '/api/health')).status, 200);
    assert.equal((await call(s.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);

    const created = await call(s.url, 'POST', '/api/jobs', {
      body: { query: 'cats', sources: ['google_images'], limit: 1 },
      headers: { authorization: `bearer ${TOKEN}` },
    });
    assert.equal(created.status, 202, created.text);
    const id = (created.body as { job_id: string }).job_id;
    await s.jobs.wait(id);

    // ?access_token= works on the event stream and the file routes only.
    const stream = await readSse(`${s.url}/api/jobs/${id}/events?access_token=${TOKEN}`);
    assert.equal(stream.status, 200);
    assert.equal(stream.messages.at(-1)?.event, 'job_finished');
    assert.equal((await readSse(`${s.url}/api/jobs/${id}/events?access_token=nope-nope-nope`)).status, 401);
    assert.equal((await fetch(`${s.url}/api/jobs/${id}/files/0?access_token=${TOKEN}`)).status, 200);
    assert.equal((await fetch(`${s.url}/api/jobs/${id}/archive.zip?access_token=${TOKEN}`)).status, 200);
    const notThere = await call(s.url, 'GET', `/api/jobs/${id}?access_token=${TOKEN}`);
    assert.equal(notThere.status, 401, 'other routes do not take the token from the URL');
  });

  test('compares tokens in constant time whatever their lengths', () => {
    assert.equal(tokenMatches(TOKEN, TOKEN), true);
    assert.equal(tokenMatches(`${TOKEN}x`, TOKEN), false);
    assert.equal(tokenMatches('', TOKEN), false);
  });
});

describe('without API_TOKEN', () => {
  test('the API answers without any token', async () => {
    const s = await startTestServer();
    servers.push(s);
    assert.equal((await call(s.url, 'GET', '/api/jobs')).status, 200);
    assert.equal((await call(s.url, 'GET', '/metrics')).status, 200);
  });
});

describe('the rate limit', () => {
  test('refuses a client above RATE_LIMIT_PER_MINUTE with 429, and 0 turns it off', async () => {
    const limited = await startTestServer({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
    servers.push(limited);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await call(limited.url, 'GET', '/api/jobs')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const refused = await call(limited.url, 'GET', '/api/sources');
    assert.equal(refused.status, 429);
    assert.equal((refused.body as { code: string }).code, 'RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    // The UI's own files are not API requests.
    assert.notEqual((await call(limited.url, 'GET', '/')).status, 429);

    const unlimited = await startTestServer({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
    servers.push(unlimited);
    for (let i = 0; i < 30; i++) assert.equal((await call(unlimited.url, 'GET', '/api/jobs')).status, 200);
  });
});

describe('security headers', () => {
  test('the UI gets a strict Content-Security-Policy and every answer the usual headers', async () => {
    const s = await startTestServer();
    servers.push(s);
    const webRoot = join(s.dir, 'web');
    mkdirSync(webRoot);
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>t</title>');
    await s.close();
    const withUi = await startTestServer({ webRoot });
    servers.push(withUi);
    const page = await call(withUi.url, 'GET', '/');
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /img-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const redirect = await fetch(`${withUi.url}/scraper`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/');
    const api = await call(withUi.url, 'GET', '/api/jobs');
    assert.equal(api.headers.get('cache-control'), 'no-store');
    assert.match(api.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });
});

describe('the listen policy', () => {
  test('loopback addresses are recognised; names are not addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1'])
      assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '10.0.0.1', 'localhost', 'x.localhost'])
      assert.equal(isLoopbackHost(host), false, host);
  });

  test('a public address needs API_TOKEN or an explicit --insecure-public; a name counts by what it resolves to', async () => {
    await assert.rejects(
      checkListenPolicy('0.0.0.0', null, false),
      /refusing to listen on 0\.0\.0\.0.*API_TOKEN.*--insecure-public/s,
    );
    await checkListenPolicy('0.0.0.0', TOKEN, false);
    await checkListenPolicy('0.0.0.0', null, true);
    await checkListenPolicy('127.0.0.1', null, false);
    // The system resolver: localhost is loopback here.
    await checkListenPolicy('localhost', null, false);
    const fake = (answers: Record<string, string[]>) => async (name: string) => {
      const found = answers[name];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return found;
    };
    const resolver = fake({
      'x.localhost': ['93.184.216.34'],
      'mixed.localhost': ['127.0.0.1', '192.168.1.5'],
      'ok.localhost': ['127.0.0.1', '::1'],
    });
    await assert.rejects(
      checkListenPolicy('x.localhost', null, false, resolver),
      /refusing to listen on x\.localhost \(93\.184\.216\.34\)/,
    );
    await assert.rejects(checkListenPolicy('mixed.localhost', null, false, resolver), /192\.168\.1\.5/);
    await checkListenPolicy('ok.localhost', null, false, resolver);
    await assert.rejects(checkListenPolicy('nowhere.invalid', null, false, resolver), /does not resolve/);
  });
});

describe('server errors', () => {
  test('a failing store answers 503 without internals (no path, no stack)', async () => {
    const s = await startTestServer();
    servers.push(s);
    await s.store.close();
    const answer = await call(s.url, 'GET', '/api/jobs');
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body, {
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'STORE',
      message: 'service unavailable',
    });
    assert.doesNotMatch(answer.text, /harvester\.db|closed|at /);
  });
});
