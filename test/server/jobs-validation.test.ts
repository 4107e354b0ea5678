// POST /api/jobs over real HTTP: every bad input is refused with a status and a message that
// names the field, and nothing is created; valid input is accepted with 202 and links.
import type { JobDocument } from '../../src/core/types.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SOURCE_IDS } from '../../src/core/types.ts';
import { call, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;

before(async () => {
  // Every source simulated: the default source list must never reach the real services.
  server = await startTestServer({ sources: SOURCE_IDS });
});
after(async () => {
  await server.dispose();
});

async function jobCount(): Promise<number> {
  const answer = await call(server.url, 'GET', '/api/jobs?limit=200');
  assert.equal(answer.status, 200);
  return (answer.body as { jobs: unknown[] }).jobs.length;
}

const BAD_BODIES: {
  name: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  field: string;
  message: RegExp;
}[] = [
  {
    name: 'an unknown field',
    body: { query: 'cats', colour: 'red' },
    status: 400,
    field: 'colour',
    message: /colour: unknown field/,
  },
  {
    name: 'limit given as a string',
    body: { query: 'cats', limit: '10' },
    status: 400,
    field: 'limit',
    message: /limit: must be an integer from 1 to 500, got "10"/,
  },
  {
    name: 'limit 0',
    body: { query: 'cats', limit: 0 },
    status: 400,
    field: 'limit',
    message: /limit: must be an integer from 1 to 500, got 0/,
  },
  { name: 'limit 501', body: { query: 'cats', limit: 501 }, status: 400, field: 'limit', message: /limit: .*got 501/ },
  {
    name: 'a fractional limit',
    body: { query: 'cats', limit: 2.5 },
    status: 400,
    field: 'limit',
    message: /limit: must be an integer/,
  },
  { name: 'a missing query', body: { limit: 3 }, status: 400, field: 'query', message: /query: is required/ },
  { name: 'an empty query', body: { query: '' }, status: 400, field: 'query', message: /query: must not be empty/ },
  { name: 'a blank query', body: { query: '   ' }, status: 400, field: 'query', message: /query: must not be blank/ },
  {
    name: 'a 201-character query',
    body: { query: 'x'.repeat(201) },
    status: 400,
    field: 'query',
    message: /query: must be at most 200 characters \(got 201\)/,
  },
  {
    name: 'a query that is a number',
    body: { query: 42 },
    status: 400,
    field: 'query',
    message: /query: must be a string/,
  },
  {
    name: 'an unknown source',
    body: { query: 'cats', sources: ['google_images', 'altavista'] },
    status: 400,
    field: 'sources[1]',
    message: /sources\[1\]: must be one of .*got "altavista"/,
  },
  {
    name: 'a duplicate source',
    body: { query: 'cats', sources: ['google_images', 'google_images'] },
    status: 400,
    field: 'sources',
    message: /sources: must not repeat an item/,
  },
  {
    name: 'an empty source list',
    body: { query: 'cats', sources: [] },
    status: 400,
    field: 'sources',
    message: /sources: must list at least 1 item/,
  },
  {
    name: 'sources as a string',
    body: { query: 'cats', sources: 'google_images' },
    status: 400,
    field: 'sources',
    message: /sources: must be an array/,
  },
  {
    name: 'a bad media type',
    body: { query: 'cats', type: 'gif' },
    status: 400,
    field: 'type',
    message: /type: must be one of image, video, any/,
  },
  {
    name: 'an array body',
    body: [{ query: 'cats' }],
    status: 400,
    field: 'body',
    message: /body: must be a object|body: must be an? object/,
  },
  {
    name: 'a body that is not JSON',
    raw: '{"query": "cats",',
    contentType: 'application/json',
    status: 400,
    field: 'body',
    message: /body: not valid JSON/,
  },
  {
    name: 'a prototype-poisoning body',
    raw: '{"query":"cats","__proto__":{"limit":1}}',
    contentType: 'application/json',
    status: 400,
    field: 'body',
    message: /body/,
  },
  {
    name: 'a text/plain body',
    raw: 'query=cats',
    contentType: 'text/plain',
    status: 415,
    field: '',
    message: /Unsupported Media Type|content-type/i,
  },
  {
    name: 'an oversized body (1.1 MiB)',
    body: { query: 'cats', padding: 'x'.repeat(1100 * 1024) },
    status: 413,
    field: 'body',
    message: /body: too large/,
  },
  {
    name: 'empty queries',
    body: { queries: [] },
    status: 400,
    field: 'queries',
    message: /queries: must list at least 1 item/,
  },
  {
    name: '1001 queries',
    body: { queries: Array.from({ length: 1001 }, (_, i) => `q${i}`) },
    status: 400,
    field: 'queries',
    message: /queries: .*1000/,
  },
  {
    name: 'a blank query among queries',
    body: { queries: ['cats', ' '] },
    status: 400,
    field: 'queries[1]',
    message: /queries\[1\]: must not be blank/,
  },
  {
    name: 'a query with a control character among queries',
    body: { queries: ['cats', 'do\u0007gs'] },
    status: 400,
    field: 'queries[1]',
    message: /queries\[1\]: must not contain control characters: found U\+0007/,
  },
  {
    name: 'a query ending in a newline',
    body: { query: 'cats\n' },
    status: 400,
    field: 'query',
    message: /query: must not contain control characters: found U\+000A/,
  },
  {
    name: 'a query starting with a tab among queries',
    body: { queries: ['\tcats'] },
    status: 400,
    field: 'queries[0]',
    message: /queries\[0\]: must not contain control characters: found U\+0009/,
  },
  {
    name: 'query not the first of queries',
    body: { query: 'dogs', queries: ['cats', 'dogs'] },
    status: 400,
    field: 'query',
    message: /query: must be the first of queries/,
  },
  {
    name: 'an unknown filter',
    body: { query: 'cats', filters: { colour: 'red' } },
    status: 400,
    field: 'filters.colour',
    message: /colour: unknown field/,
  },
  {
    name: 'a bad orientation',
    body: { query: 'cats', filters: { orientation: 'round' } },
    status: 400,
    field: 'filters.orientation',
    message: /orientation: must be one of landscape, portrait, square/,
  },
  {
    name: 'a bad licence filter',
    body: { query: 'cats', filters: { license: 'free' } },
    status: 400,
    field: 'filters.license',
    message: /license: must be one of any, open, commercial/,
  },
  {
    name: 'min_width 0',
    body: { query: 'cats', filters: { min_width: 0 } },
    status: 400,
    field: 'filters.min_width',
    message: /min_width: must be/,
  },
  {
    name: 'min_height as a string',
    body: { query: 'cats', filters: { min_height: '640' } },
    status: 400,
    field: 'filters.min_height',
    message: /min_height: must be an integer from 1 to 100000, got "640"/,
  },
  {
    name: 'keep_near_duplicates as a string',
    body: { query: 'cats', keep_near_duplicates: 'yes' },
    status: 400,
    field: 'keep_near_duplicates',
    message: /keep_near_duplicates: must be a boolean/,
  },
];

describe('POST /api/jobs refuses bad input and creates nothing', () => {
  for (const bad of BAD_BODIES) {
    test(`refuses ${bad.name} with ${bad.status}`, async () => {
      const before = await jobCount();
      const answer = await call(server.url, 'POST', '/api/jobs', {
        ...(bad.raw !== undefined ? { rawBody: bad.raw } : { body: bad.body }),
        headers: bad.contentType ? { 'content-type': bad.contentType } : {},
      });
      assert.equal(answer.status, bad.status, answer.text);
      const body = answer.body as { statusCode: number; code: string; message: string; field?: string };
      assert.equal(body.statusCode, bad.status);
      assert.match(body.message, bad.message);
      if (bad.field !== '') assert.equal(body.field, bad.field);
      assert.equal(await jobCount(), before, 'a refused request must not create a job');
    });
  }
});

describe('POST /api/jobs accepts valid input', () => {
  test('takes several queries (1000 fit), filters and keep_near_duplicates; the document lists queries and per-query stats', async () => {
    const queries = Array.from({ length: 1000 }, (_, i) => `${'q'.repeat(190)} ${i}`);
    const big = await call(server.url, 'POST', '/api/jobs', {
      body: { queries, sources: ['google_images'], limit: 1 },
    });
    assert.equal(big.status, 202, big.text);
    await server.jobs.cancel((big.body as { job_id: string }).job_id);
    const answer = await call(server.url, 'POST', '/api/jobs', {
      body: {
        queries: [' red fox', 'arctic fox', 'red fox'],
        sources: ['google_images'],
        limit: 1,
        filters: { min_width: 1, min_height: 1, orientation: 'landscape', license: 'any' },
        keep_near_duplicates: true,
      },
    });
    assert.equal(answer.status, 202, answer.text);
    const id = (answer.body as { job_id: string }).job_id;
    await server.jobs.wait(id);
    const doc = (await call(server.url, 'GET', `/api/jobs/${id}`)).body as JobDocument;
    assert.equal(doc.query, 'red fox');
    assert.deepEqual(doc.queries, ['red fox', 'arctic fox'], 'trimmed, duplicates dropped');
    assert.deepEqual(Object.keys(doc.results.query_stats), ['red fox', 'arctic fox']);
    assert.deepEqual(doc.results.query_stats['red fox']!.successful_sources, ['google_images']);
    for (const f of doc.results.files) assert.ok(doc.queries.includes(f.query));
  });

  test('answers 202 with the job id, its status and links, and the job runs', async () => {
    const answer = await call(server.url, 'POST', '/api/jobs', {
      body: { query: '  red fox  ', sources: ['google_images'], limit: 2 },
    });
    assert.equal(answer.status, 202, answer.text);
    const body = answer.body as { job_id: string; status: string; links: Record<string, string> };
    assert.match(body.status, /^(queued|running)$/);
    assert.equal(answer.headers.get('location'), `/api/jobs/${body.job_id}`);
    assert.deepEqual(Object.keys(body.links).sort(), [
      'archive',
      'cancel',
      'events',
      'files',
      'resume',
      'retry',
      'self',
    ]);
    assert.equal(body.links.events, `/api/jobs/${body.job_id}/events`);
    const done = await server.jobs.wait(body.job_id);
    assert.equal(done.query, 'red fox', 'the query is trimmed');
    assert.equal(done.limit, 2);
    assert.equal(done.type, 'image', 'type defaults to image');
    assert.deepEqual(done.sources, ['google_images']);
  });

  test('defaults to every configured source and a limit of 10', async () => {
    const answer = await call(server.url, 'POST', '/api/jobs', { body: { query: 'owl', type: 'any' } });
    assert.equal(answer.status, 202, answer.text);
    const id = (answer.body as { job_id: string }).job_id;
    const doc = await server.jobs.wait(id);
    assert.equal(doc.limit, 10);
    assert.equal(doc.type, 'any');
    // Every source whose key requirement is met (the simulation sets the demo keys): all ten.
    assert.deepEqual(doc.sources, [...SOURCE_IDS]);
  });
});

describe('query strings and path parameters are validated too', () => {
  test('an unknown query parameter and a non-numeric limit are refused', async () => {
    const unknown = await call(server.url, 'GET', '/api/jobs?colour=red');
    assert.equal(unknown.status, 400);
    assert.equal((unknown.body as { field: string }).field, 'colour');
    const letters = await call(server.url, 'GET', '/api/jobs?limit=ten');
    assert.equal(letters.status, 400);
    assert.match((letters.body as { message: string }).message, /limit: must be an integer from 1 to 200, got "ten"/);
    const tooMany = await call(server.url, 'GET', '/api/jobs?limit=201');
    assert.equal(tooMany.status, 400);
    assert.match((tooMany.body as { message: string }).message, /limit: must be an integer from 1 to 200, got 201/);
    const badStatus = await call(server.url, 'GET', '/api/jobs?status=done');
    assert.equal(badStatus.status, 400);
    assert.equal((badStatus.body as { field: string }).field, 'status');
  });

  test('integer and boolean parameters are read only from their canonical spelling', async () => {
    const ten = await call(server.url, 'GET', '/api/jobs?limit=10&offset=0');
    assert.equal(ten.status, 200, ten.text);
    assert.deepEqual([(ten.body as { limit: unknown }).limit, (ten.body as { offset: unknown }).offset], [10, 0]);
    const defaults = (await call(server.url, 'GET', '/api/jobs')).body as { limit: unknown; offset: unknown };
    assert.deepEqual([defaults.limit, defaults.offset], [50, 0], 'the documented defaults apply');
    for (const [query, field] of [
      ['limit=1e1', 'limit'],
      ['limit=010', 'limit'],
      ['limit=%2010', 'limit'],
      ['limit=10.0', 'limit'],
      ['limit=0x10', 'limit'],
      ['limit=', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=99999999999999999999', 'offset'],
    ] as const) {
      const answer = await call(server.url, 'GET', `/api/jobs?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal((answer.body as { field: string }).field, field, query);
      assert.match((answer.body as { message: string }).message, new RegExp(`^${field}: must be an integer`), query);
    }
    assert.equal((await call(server.url, 'GET', '/api/logs?errors=true')).status, 200);
    const notBoolean = await call(server.url, 'GET', '/api/logs?errors=yes');
    assert.equal(notBoolean.status, 400);
    assert.match((notBoolean.body as { message: string }).message, /^errors: must be a boolean, got "yes"/);
    const badIndex = await call(server.url, 'GET', '/api/jobs/some-job/files/first');
    assert.equal(badIndex.status, 400);
    assert.equal((badIndex.body as { field: string }).field, 'n');
  });

  test('an unknown job id is a JSON 404, a malformed one a 400', async () => {
    const missing = await call(server.url, 'GET', '/api/jobs/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { code: string }).code, 'NOT_FOUND');
    assert.match(missing.headers.get('content-type') ?? '', /application\/json/);
    const malformed = await call(server.url, 'GET', '/api/jobs/..%2F..%2Fetc');
    assert.equal(malformed.status, 400);
    assert.equal((malformed.body as { field: string }).field, 'id');
  });

  test('an unknown route is a JSON 404', async () => {
    const answer = await call(server.url, 'GET', '/api/nothing-here');
    assert.equal(answer.status, 404);
    assert.equal((answer.body as { code: string }).code, 'NOT_FOUND');
  });
});
