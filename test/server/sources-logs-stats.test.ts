// GET /api/sources, /api/logs, /api/stats, /metrics, /api/health and /api/openapi.json over
// real HTTP after a real job (one source times out), plus the pieces behind them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobDocument } from '../../src/core/types.ts';
import { buildStats } from '../../src/server/source-stats.ts';
import type { SourceOutcome } from '../../src/store/store.ts';
import { call, startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;
let job: JobDocument;

before(async () => {
  s = await startTestServer({
    sources: ['google_images', 'bing_images', 'yandex_images'],
    hang: ['bing_images'],
    env: { BING_IMAGES_TIMEOUT: '0.5' },
  });
  const answer = await call(s.url, 'POST', '/api/jobs', {
    body: { query: 'gannet', sources: ['google_images', 'bing_images', 'yandex_images'], limit: 2 },
  });
  job = await s.jobs.wait((answer.body as { job_id: string }).job_id);
  assert.equal(job.status, 'partial');
});
after(async () => {
  await s.dispose();
});

describe('POST /api/sources/check', () => {
  test('runs the check from the server, answers each outcome and shows it in GET /api/sources', async () => {
    const answer = await call(s.url, 'POST', '/api/sources/check?sources=google_images,bing_images,pixabay');
    assert.equal(answer.status, 200, answer.text);
    const { checks } = answer.body as {
      checks: { id: string; status: string; found: number; duration_ms: number; detail: string; checked_at: string }[];
    };
    const by = new Map(checks.map((c) => [c.id, c]));
    assert.equal(by.get('google_images')!.status, 'ok');
    assert.ok(by.get('google_images')!.found > 0);
    // bing_images hangs in this simulation: the check ends at its 0.5 s deadline.
    assert.equal(by.get('bing_images')!.status, 'unreachable');
    assert.equal(by.get('bing_images')!.detail, 'Timeout after 0.5s');
    assert.ok(by.get('bing_images')!.duration_ms < 3000);
    const listed = (await call(s.url, 'GET', '/api/sources')).body as {
      sources: { id: string; health: { last_check: { status: string; detail: string } | null } }[];
    };
    const bing = listed.sources.find((x) => x.id === 'bing_images')!;
    assert.equal(bing.health.last_check!.status, 'unreachable');
    assert.equal(listed.sources.find((x) => x.id === 'nasa_images')!.health.last_check, null);
    const bad = await call(s.url, 'POST', '/api/sources/check?sources=nope');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /sources: unknown or not offered: nope/);
  });

  test('needs the token when API_TOKEN is set', async () => {
    const locked = await startTestServer({ sources: ['google_images'], env: { API_TOKEN: 'secret-token-1234567890' } });
    try {
      assert.equal((await call(locked.url, 'POST', '/api/sources/check?sources=google_images')).status, 401);
      const ok = await call(locked.url, 'POST', '/api/sources/check?sources=google_images', {
        headers: { authorization: 'Bearer secret-token-1234567890' },
      });
      assert.equal(ok.status, 200, ok.text);
    } finally {
      await locked.dispose();
    }
  });
});

describe('GET /api/sources', () => {
  test('lists every source with its kinds, key, configuration, origin and health', async () => {
    const answer = await call(s.url, 'GET', '/api/sources');
    assert.equal(answer.status, 200);
    const { sources } = answer.body as {
      sources: {
        id: string;
        name: string;
        kinds: string[];
        key_variable: string | null;
        configured: boolean;
        state: string;
        origin: string;
        health: {
          runs: number;
          success_rate: number | null;
          avg_download_ms: number | null;
          last_error: string | null;
          cooling_until: string | null;
        };
      }[];
    };
    assert.equal(sources.length, 10);
    const bing = sources.find((x) => x.id === 'bing_images')!;
    assert.equal(bing.origin, s.sim.origins.bing_images);
    assert.equal(bing.health.runs, 1);
    assert.equal(bing.health.success_rate, 0);
    assert.equal(bing.health.last_error, 'Timeout after 0.5s');
    const google = sources.find((x) => x.id === 'google_images')!;
    assert.equal(google.health.success_rate, 1);
    assert.ok(google.health.avg_download_ms !== null && google.health.avg_download_ms >= 0);
    assert.equal(google.state, 'ready');
    const pexels = sources.find((x) => x.id === 'pexels')!;
    assert.equal(pexels.key_variable, 'PEXELS_API_KEY');
    assert.deepEqual(pexels.kinds, ['image', 'video']);
  });

  test('shows a key-based source without its key as needing one', async () => {
    const bare = await startTestServer({ sources: ['google_images'], env: { PEXELS_API_KEY: '' } });
    try {
      const { sources } = (await call(bare.url, 'GET', '/api/sources')).body as {
        sources: { id: string; configured: boolean; state: string; reason: string | null }[];
      };
      const pexels = sources.find((x) => x.id === 'pexels')!;
      assert.equal(pexels.configured, false);
      assert.equal(pexels.state, 'needs_key');
      assert.match(pexels.reason ?? '', /PEXELS_API_KEY/);
    } finally {
      await bare.dispose();
    }
  });
});

describe('GET /api/logs', () => {
  test('tails the download log, errors only on request, and follows from an offset', async () => {
    const all = await call(s.url, 'GET', '/api/logs?lines=100');
    assert.equal(all.status, 200);
    const body = all.body as { lines: { ts: string; level: string; message: string }[]; size: number };
    const messages = body.lines.map((l) => l.message);
    assert.ok(messages.some((m) => m.startsWith('=== JOB START === | Job ID: ' + job.job_id)));
    assert.ok(messages.some((m) => m === 'TIMEOUT | bing_images | Timeout after 0.5s'));
    assert.ok(messages.some((m) => m.startsWith('STATISTICS | Success: ')));
    assert.match(body.lines[0]!.ts, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}$/);
    const errors = (await call(s.url, 'GET', '/api/logs?errors=true')).body as {
      lines: { level: string; message: string }[];
    };
    assert.ok(errors.lines.length >= 1);
    assert.ok(
      errors.lines.every(
        (l) => /^(FAILED|TIMEOUT) \|/.test(l.message) || l.level === 'ERROR' || l.level === 'CRITICAL',
      ),
    );
    const level = (await call(s.url, 'GET', '/api/logs?level=ERROR')).body as { lines: { level: string }[] };
    assert.ok(level.lines.every((l) => l.level === 'ERROR' || l.level === 'CRITICAL'));
    const two = (await call(s.url, 'GET', '/api/logs?lines=2')).body as { lines: unknown[] };
    assert.equal(two.lines.length, 2);
    const nothingNew = (await call(s.url, 'GET', `/api/logs?since=${body.size}`)).body as {
      lines: unknown[];
      size: number;
    };
    assert.equal(nothingNew.lines.length, 0);
    assert.equal(nothingNew.size, body.size);
    assert.equal((await call(s.url, 'GET', '/api/logs?lines=0')).status, 400);
    assert.equal((await call(s.url, 'GET', '/api/logs?level=LOUD')).status, 400);
  });
});

describe('GET /api/stats', () => {
  test('gives per-source success rate, download time and failures in time buckets', async () => {
    const answer = await call(s.url, 'GET', '/api/stats?range=1h');
    assert.equal(answer.status, 200);
    const stats = answer.body as {
      bucket_ms: number;
      sources: {
        source: string;
        runs: number;
        failures: number;
        success_rate: number | null;
        avg_download_ms: number | null;
        buckets: { runs: number }[];
      }[];
    };
    assert.equal(stats.bucket_ms, 60_000);
    const bing = stats.sources.find((x) => x.source === 'bing_images')!;
    assert.equal(bing.runs, 1);
    assert.equal(bing.failures, 1);
    assert.equal(bing.success_rate, 0);
    assert.equal(bing.buckets.length, 60);
    assert.equal(
      bing.buckets.reduce((n, b) => n + b.runs, 0),
      1,
    );
    const google = stats.sources.find((x) => x.source === 'google_images')!;
    assert.equal(google.success_rate, 1);
    assert.notEqual(google.avg_download_ms, null);
    assert.equal((await call(s.url, 'GET', '/api/stats?range=1y')).status, 400);
  });

  test('buckets outcomes by time and averages download time per file', () => {
    const now = new Date('2025-10-02T12:00:00.000Z');
    const at = (minutesAgo: number): Date => new Date(now.getTime() - minutesAgo * 60_000);
    const outcomes: SourceOutcome[] = [
      { source: 'google_images', ok: true, error: null, durationMs: 1000, downloaded: 4, downloadMs: 400, at: at(90) },
      {
        source: 'google_images',
        ok: false,
        error: 'HTTP 503',
        durationMs: 1000,
        downloaded: 0,
        downloadMs: 0,
        at: at(30),
      },
      { source: 'google_images', ok: true, error: null, durationMs: 1000, downloaded: 1, downloadMs: 300, at: at(29) },
      {
        source: 'google_images',
        ok: true,
        error: null,
        durationMs: 1000,
        downloaded: 1,
        downloadMs: 1,
        at: at(60 * 25),
      },
      {
        source: 'google_images',
        ok: false,
        error: 'older error',
        durationMs: 1000,
        downloaded: 0,
        downloadMs: 0,
        at: at(120),
      },
    ];
    // Reversed: the order of outcomes must not matter.
    const report = buildStats(outcomes.reverse(), '24h', now);
    const google = report.sources[0]!;
    assert.equal(google.runs, 4, 'the run older than the range is left out');
    assert.equal(google.failures, 2);
    assert.equal(google.avg_download_ms, 140);
    assert.equal(google.last_error, 'HTTP 503', 'the most recent error, though a later run succeeded');
    const used = google.buckets.filter((b) => b.runs > 0);
    // Hour buckets aligned to the hour: 10:00 and 10:30 share one, 11:30 and 11:31 the next.
    assert.deepEqual(
      used.map((b) => [b.start.slice(11, 16), b.runs, b.success_rate]),
      [
        ['10:00', 2, 0.5],
        ['11:00', 2, 0.5],
      ],
    );
  });
});

describe('GET /metrics', () => {
  test('exposes jobs, files, bytes, source durations and HTTP durations as Prometheus text', async () => {
    const response = await fetch(`${s.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.match(text, /^harvester_jobs_finished_total\{status="partial"\} 1$/m);
    assert.match(text, /^harvester_jobs\{status="running"\} 0$/m);
    assert.match(text, /^harvester_files_saved_total\{source="google_images",kind="image"\} 2$/m);
    const bytes = job.results.source_stats.google_images!.bytes;
    assert.match(text, new RegExp(`^harvester_saved_bytes_total\\{source="google_images"\\} ${bytes}$`, 'm'));
    assert.match(text, /^harvester_source_duration_seconds_count\{source="bing_images",status="failed"\} 1$/m);
    assert.match(
      text,
      /^harvester_http_request_duration_seconds_count\{method="POST",route="\/api\/jobs",status_code="202"\} 1$/m,
    );
  });
});

describe('GET /api/health and /api/openapi.json', () => {
  test('health is 200 while ready', async () => {
    const answer = await call(s.url, 'GET', '/api/health');
    assert.equal(answer.status, 200);
    assert.equal((answer.body as { status: string }).status, 'ok');
  });

  test('the OpenAPI document is built from the route schemas', async () => {
    const answer = await call(s.url, 'GET', '/api/openapi.json');
    assert.equal(answer.status, 200);
    const doc = answer.body as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<
                string,
                { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }
              >;
            };
            parameters?: { name: string; in: string }[];
            responses: Record<string, unknown>;
          }
        >
      >;
      components: { schemas: Record<string, unknown> };
    };
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/api/jobs',
      '/api/jobs/{id}',
      '/api/jobs/{id}/events',
      '/api/jobs/{id}/cancel',
      '/api/jobs/{id}/retry',
      '/api/jobs/{id}/files/{n}',
      '/api/jobs/{id}/archive.zip',
      '/api/sources',
      '/api/logs',
      '/api/stats',
      '/api/health',
      '/metrics',
      '/api/openapi.json',
    ]) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    const create = doc.paths['/api/jobs']!.post!;
    const body = create.requestBody!.content['application/json']!.schema;
    assert.deepEqual(Object.keys(body.properties).sort(), [
      'filters',
      'keep_near_duplicates',
      'limit',
      'queries',
      'query',
      'sources',
      'type',
    ]);
    assert.equal(body.additionalProperties, false);
    assert.ok(create.responses['202']);
    assert.deepEqual(
      doc.paths['/api/jobs/{id}/files/{n}']!.get!.parameters!.filter((p) => p.in === 'path').map((p) => p.name),
      ['id', 'n'],
    );
    assert.ok(doc.components.schemas.JobDocument);
    assert.doesNotMatch(
      JSON.stringify(doc),
      /"\$ref":"(?!#\/components\/schemas\/)/,
      'every $ref points into components',
    );
  });
});
