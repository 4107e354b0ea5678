// Auth is decided on the route the router matched, never on the raw request target. Through the
// real `harvester serve` process and raw sockets (the target is sent exactly as written): every
// protected route of the served OpenAPI document, in every spelling below and in spellings
// fast-check generates, answers nothing but a refusal without the token — and the token holder is
// not locked out by a flood of refused requests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rawRequest, startServeProcess, type ServeProcess } from './serve-process.ts';

const TOKEN = 'target-test-token-1234';
let server: ServeProcess;
let jobId = '';
let routes: { method: string; path: string }[] = [];

const auth = `Authorization: Bearer ${TOKEN}`;

async function countJobs(): Promise<number> {
  const answer = await rawRequest(server.port, `GET /api/jobs?limit=200 HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`);
  assert.equal(answer.status, 200, answer.body);
  return (JSON.parse(answer.body) as { jobs: unknown[] }).jobs.length;
}

before(async () => {
  server = await startServeProcess({ API_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '0' });
  const created = await rawRequest(
    server.port,
    `POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\nContent-Type: application/json`,
    JSON.stringify({ query: 'cats', sources: ['google_images'], limit: 1 }),
  );
  assert.equal(created.status, 202, created.body);
  jobId = (JSON.parse(created.body) as { job_id: string }).job_id;
  const doc = await rawRequest(server.port, `GET /api/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`);
  const paths = (JSON.parse(doc.body) as { paths: Record<string, Record<string, { security?: unknown[] }>> }).paths;
  for (const [template, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      // Public operations declare the empty requirement.
      if (operation.security?.some((entry) => Object.keys(entry as object).length === 0)) continue;
      routes.push({ method: method.toUpperCase(), path: template.replace('{id}', jobId).replace(/\{[a-z_]+\}/g, '0') });
    }
  }
  routes = routes.sort((a, b) => a.path.localeCompare(b.path));
});
after(async () => {
  await server?.stop();
});

/** Spellings a router may treat as `path` (or that a naive prefix check would not). */
export function spellings(path: string, host: string): string[] {
  const out = new Set<string>([path]);
  const hex = (c: string): string => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    out.add(path.slice(0, i) + hex(c).toUpperCase() + path.slice(i + 1));
    out.add(path.slice(0, i) + hex(c).toLowerCase() + path.slice(i + 1));
  }
  out.add(path.replace(/[a-z]/g, (c) => hex(c)));
  out.add(`http://${host}${path}`);
  out.add(`HTTP://${host.toUpperCase()}${path}`);
  out.add(`http://${host}/.${path}`);
  out.add(`http://evil.example${path}`);
  out.add(`/.${path}`);
  out.add(path.replace('/api/', '/api/./'));
  out.add(path.replace('/api/', '/api/x/../'));
  out.add(path.replace('/api/', '/api/%2e/'));
  out.add(path.replace('/api/', '/api/%2E%2E/api/'));
  out.add(`/${path}`);
  out.add(path.replace(/\//g, '//'));
  out.add(path.replace('/', '/%2F'));
  out.add(path.replace('/api/', '/api%2F'));
  out.add(path.toUpperCase());
  out.add(path.replace(/^\/(\w)/, (_m, c: string) => `/${c.toUpperCase()}`));
  out.add(`${path}/`);
  out.add(`${path}?`);
  out.add(`${path}?x=1`);
  out.add(`${path};`);
  out.add(`${path}#frag`);
  out.add(`${path}%00`);
  out.add(`${path}/.`);
  out.add(path.replace('/api', '/api/..%2Fapi'));
  return [...out];
}

describe('no spelling of a protected route answers without the token', () => {
  test('the document lists the routes (the check below cannot pass on an empty list)', () => {
    const listed = routes.map((r) => `${r.method} ${r.path.replace(jobId, ':id')}`);
    for (const expected of [
      'GET /api/jobs',
      'POST /api/jobs',
      'GET /metrics',
      'GET /api/jobs/:id/events',
      'GET /api/jobs/:id/archive.zip',
      'POST /api/jobs/:id/cancel',
      'GET /api/jobs/:id/files/0',
    ]) {
      assert.ok(listed.includes(expected), `${expected} in ${listed.join(', ')}`);
    }
  });

  test(
    'generated spellings of every protected route, without a token, with a wrong one and with ?access_token=wrong',
    { timeout: 300_000 },
    async () => {
      const before = await countJobs();
      let sent = 0;
      const seen = new Map<number, number>();
      for (const route of routes) {
        for (const target of spellings(route.path, `127.0.0.1:${server.port}`)) {
          const variants: [string, string][] = [
            [target, ''],
            [target, '\r\nAuthorization: Bearer wrong-token-0000'],
          ];
          if (!/[?#]/.test(target)) variants.push([`${target}?access_token=wrong-token-0000`, '']);
          for (const [spelled, extra] of variants) {
            const body =
              route.method === 'POST' && route.path === '/api/jobs'
                ? JSON.stringify({ query: 'dogs', sources: ['google_images'], limit: 1 })
                : '';
            const head = `${route.method} ${spelled} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}${extra}${body ? '\r\nContent-Type: application/json' : ''}`;
            const answer = await rawRequest(server.port, head, body);
            sent++;
            seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
            assert.ok(
              answer.status >= 400 && answer.status !== 0,
              `${route.method} ${spelled}${extra ? ' (wrong token)' : ''} answered ${answer.status}: ${answer.body.slice(0, 200)}`,
            );
          }
        }
      }
      assert.ok(sent > 500, `sent ${sent}`);
      assert.ok((seen.get(401) ?? 0) > sent / 2, `mostly 401s: ${JSON.stringify([...seen])}`);
      assert.equal(await countJobs(), before, 'no spelling of POST /api/jobs created a job');
      // The same spellings do reach the handlers with the token: the refusals above are the auth's.
      for (const target of [
        '/api/jobs',
        '/%61pi/jobs',
        '/api/j%6Fbs',
        '/%61%70%69/%6a%6f%62%73',
        `http://127.0.0.1:${server.port}/api/jobs`,
      ]) {
        const answer = await rawRequest(
          server.port,
          `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n${auth}`,
        );
        assert.equal(answer.status, 200, `GET ${target} with the token: ${answer.status}`);
      }
    },
  );

  test(
    'fast-check: arbitrary spellings of a protected route are never answered 2xx or 3xx without the token',
    { timeout: 300_000 },
    async () => {
      const encodeSome = (path: string, mask: boolean[]): string =>
        [...path]
          .map((c, i) => (mask[i % mask.length] && c !== '/' ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : c))
          .join('');
      const piece = fc.constantFrom('', '.', '..', '%2e', '%2E%2E', 'x', '', '');
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
          fc.constantFrom('', 'http://127.0.0.1', 'http://localhost:1', 'https://x'),
          fc.array(fc.tuple(fc.nat(30), piece, fc.constantFrom('/', '//', '/./')), { maxLength: 3 }),
          fc.constantFrom('', '/', '?', '?a=b', '#', ';x'),
          fc.boolean(),
          async (route, mask, prefix, inserts, suffix, upper) => {
            let path = encodeSome(route.path, mask);
            for (const [at, segment, slash] of inserts) {
              const i = Math.min(at, path.length);
              path = `${path.slice(0, i)}${slash}${segment}${path.slice(i)}`;
            }
            if (upper) path = path.toUpperCase();
            if (!path.startsWith('/')) path = `/${path}`;
            const target = `${prefix}${path}${suffix}`;
            const answer = await rawRequest(
              server.port,
              `${route.method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}`,
              route.method === 'POST' ? '{}' : '',
            );
            assert.ok(
              answer.status >= 400 && answer.status !== 0,
              `${route.method} ${target} answered ${answer.status}: ${answer.body.slice(0, 200)}`,
            );
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});

describe('/metrics and /api/health', () => {
  test('/metrics needs the token, /api/health does not', async () => {
    assert.equal((await rawRequest(server.port, 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1')).status, 401);
    assert.equal((await rawRequest(server.port, `GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}`)).status, 200);
    assert.equal((await rawRequest(server.port, 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1')).status, 200);
  });
});
