// API fuzzing: random methods, paths, query strings, headers and bodies against
// the real server process. Never a 5xx, the process stays up, and a refused job (4xx on
// POST /api/jobs) creates nothing: no row in the database, no folder under DOWNLOAD_DIR.
// Every source points at the local simulation, so a body that happens to be valid runs a
// real job without leaving this machine.
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SOURCE_IDS } from '../../src/core/types.ts';
import { querySlug } from '../../src/output/naming.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { makeSandbox } from '../lib/paths.ts';
import { isAlive } from '../lib/proc-stats.ts';
import { startServer, type ServerProcess } from '../lib/server.ts';

const ROUTES = [
  '/api/jobs',
  '/api/jobs/:id',
  '/api/jobs/:id/events',
  '/api/jobs/:id/cancel',
  '/api/jobs/:id/retry',
  '/api/jobs/:id/resume',
  '/api/jobs/:id/files/:n',
  '/api/jobs/:id/archive.zip',
  '/api/sources',
  '/api/logs',
  '/api/stats',
  '/api/health',
  '/metrics',
  '/api/openapi.json',
  '/',
  '/scraper',
  '/api',
  '/api/',
  '/api/jobs/',
  '/static/../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
];

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '..',
    '../..',
    '%2e%2e%2f',
    '%00',
    '\u0000',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    'a'.repeat(5000),
    '-1',
    '1e309',
    'NaN',
    '0x10',
    '𝔘𝔫𝔦',
    '..%2f..%2f',
    '%',
  ),
);

const idLike = fc.oneof(fc.uuid(), hostileText, fc.constant('latest'));

const path = fc
  .tuple(
    fc.constantFrom(...ROUTES),
    idLike,
    fc.oneof(fc.integer({ min: -3, max: 1e6 }).map(String), hostileText),
    fc.array(
      fc.tuple(
        fc.constantFrom(
          'lines',
          'level',
          'limit',
          'offset',
          'status',
          'after',
          'range',
          'source',
          'access_token',
          'download',
          'errors',
          'since',
          'x',
        ),
        hostileText,
      ),
      { maxLength: 4 },
    ),
  )
  .map(([route, id, n, query]) => {
    const p = route.replace(':id', encodeURIComponent(id)).replace(':n', encodeURIComponent(n));
    const qs = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return qs ? `${p}?${qs}` : p;
  });

const jobField = fc.oneof(
  fc.record(
    { query: fc.oneof(fc.string({ maxLength: 250 }), fc.integer(), fc.constant(null), fc.array(fc.string())) },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      query: fc.oneof(
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.string({ minLength: 190, maxLength: 260 }),
        fc.constant(''),
        fc.constant('   '),
      ),
      sources: fc.oneof(
        fc.subarray([...SOURCE_IDS]),
        fc.array(fc.string({ maxLength: 12 })),
        fc.constant('bing_images'),
        fc.constant([]),
        fc.constant(null),
      ),
      limit: fc.oneof(
        fc.integer({ min: -5, max: 600 }),
        fc.double(),
        fc.constant('10'),
        fc.constant(null),
        fc.constant(1e300),
      ),
      type: fc.oneof(fc.constantFrom('image', 'video', 'any', 'IMAGE', 'gif', ''), fc.integer()),
      extra: fc.jsonValue(),
      __proto__: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);

const body = fc.oneof(
  { weight: 4, arbitrary: jobField.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '{"query":',
      'null',
      '[]',
      '{"query":"a","query":"b"}',
      `{"query":"${'x'.repeat(2_000_000)}"}`,
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      '',
      'x/y',
    ),
    authorization: fc.oneof(
      fc.constant('Bearer wrong-token'),
      fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
      fc.constant('Basic Zm9vOmJhcg=='),
    ),
    'last-event-id': fc.oneof(fc.integer({ min: -10, max: 1e9 }).map(String), fc.string({ maxLength: 20 })),
    range: fc.constantFrom(
      'bytes=0-10',
      'bytes=-5',
      'bytes=999999999-',
      'bytes=a-b',
      'bytes=5-1',
      'bytes=0-1,2-3',
      'items=0-1',
    ),
    accept: fc.constantFrom('*/*', 'text/event-stream', 'application/json', 'text/html'),
  },
  { requiredKeys: [] },
);

const method = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');

/** Half the requests are job submissions (where "nothing created on a 400" matters), half anything. */
const request = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant('POST'),
      fc.constant('/api/jobs'),
      headers.map((h) => ({ ...h, 'content-type': 'application/json' })),
      body,
    ),
  },
  { weight: 1, arbitrary: fc.tuple(method, path, headers, body) },
);

export interface ApiFuzzOutcome {
  requests: number;
  byStatus: Record<string, number>;
  refusedPosts: number;
  acceptedPosts: number;
  seed: number;
  failure: string | null;
  aliveAtEnd: boolean;
}

function safeHeaderValue(v: string): boolean {
  // fetch refuses header values with control characters; those never reach the server anyway.
  return !/[\0\r\n]/.test(v) && [...v].every((c) => c.charCodeAt(0) <= 255);
}

export async function runApiFuzz(options: {
  numRuns: number;
  seed: number;
  token?: string;
  log: (line: string) => void;
}): Promise<ApiFuzzOutcome> {
  const box = makeSandbox('api-fuzz');
  const sim = await startSimulation({ latencyMs: 0 });
  const env: Record<string, string> = {
    ...sim.env,
    ...box.env,
    SOURCE_TIMEOUT: '2',
    MAX_CONCURRENT_JOBS: '2',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  if (options.token) env.API_TOKEN = options.token;
  let server: ServerProcess | null = null;
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let refusedPosts = 0;
  let acceptedPosts = 0;
  try {
    server = await startServer({ env, cwd: box.root, ...(options.token ? {} : {}) });
    const s = server;
    const db = (): number => {
      const d = new Database(box.dbPath, { readonly: true, fileMustExist: true });
      try {
        return (d.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
      } finally {
        d.close();
      }
    };
    // Folders of accepted jobs appear while they run; only a folder no accepted job explains counts.
    const acceptedSlugs = new Set<string>();
    const strayFolders = (): string[] => readdirSync(box.downloadDir).filter((f) => !acceptedSlugs.has(f));
    const details = await fc.check(
      fc.asyncProperty(request, async ([m, p, h, b]) => {
        const hdrs = Object.fromEntries(Object.entries(h).filter(([, v]) => safeHeaderValue(v)));
        const jobsBefore = m === 'POST' ? db() : 0;
        const foldersBefore = m === 'POST' ? strayFolders().length : 0;
        let status: number;
        try {
          const r = await fetch(s.origin + p, {
            method: m,
            headers: hdrs,
            body: m === 'GET' || m === 'HEAD' ? undefined : b,
            signal: AbortSignal.timeout(3000),
          });
          status = r.status;
          // An event stream stays open until its job ends: read nothing more of it.
          await r.body?.cancel().catch(() => {});
        } catch (error) {
          const e = error as Error & { cause?: { code?: string } };
          if (e.name === 'TimeoutError') {
            status = 0; // an open event stream; fine
          } else if (!isAlive(s.pid)) throw new Error(`the server died on ${m} ${p}`, { cause: error });
          else throw new Error(`${m} ${p}: ${e.cause?.code ?? e.message}`, { cause: error });
        }
        requests++;
        byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
        if (status >= 500)
          throw new Error(`${m} ${p.slice(0, 200)} answered ${status} (body ${String(b).slice(0, 200)})`);
        if (m === 'POST' && p.split('?')[0] === '/api/jobs') {
          if (status === 202) {
            acceptedPosts++;
            try {
              acceptedSlugs.add(querySlug(String((JSON.parse(String(b)) as { query: unknown }).query)));
            } catch {}
          } else if (status >= 400 && status < 500) {
            refusedPosts++;
            const after = db();
            if (after !== jobsBefore)
              throw new Error(
                `a refused POST /api/jobs (${status}) created ${after - jobsBefore} job(s): ${String(b).slice(0, 200)}`,
              );
            const stray = strayFolders();
            if (stray.length !== foldersBefore)
              throw new Error(
                `a refused POST /api/jobs (${status}) created a folder (${stray.join(', ')}): ${String(b).slice(0, 200)}`,
              );
          }
        }
        return true;
      }),
      { numRuns: options.numRuns, seed: options.seed, endOnFailure: true },
    );
    return {
      requests,
      byStatus,
      refusedPosts,
      acceptedPosts,
      seed: options.seed,
      failure: details.failed
        ? `${(details.errorInstance as Error | null)?.message ?? 'failed'} (seed ${options.seed}, ${details.numRuns} runs)`
        : null,
      aliveAtEnd: isAlive(s.pid),
    };
  } finally {
    if (server) await server.stop('SIGTERM');
    await sim.close();
    box.remove();
  }
}
