// What the source tests share: a SourceContext built on the real HTTP client (the same
// `bindSourceHttp` the runner uses) with counters for pages and rate-limit reports, a collector
// for a search's candidates, a plain node:http server on port 0 for hand-made pages (changed
// layouts, blocks, recorded answers), and a job through the real runner against the simulation.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { envPrefix, loadConfig } from '../../src/core/config.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import type { JobDocument, MediaCandidate, MediaType, SourceId } from '../../src/core/types.ts';
import { bindSourceHttp, createHttpClient } from '../../src/http/index.ts';
import { originOf, type SearchQuery, type Source, type SourceContext } from '../../src/sources/source.ts';
import { listFiles, openHarness } from '../jobs/harness.ts';

export interface TestContext {
  ctx: SourceContext;
  /** Pages the source reported. */
  pages: () => number;
  /** Every rate-limit value the source reported, in order. */
  rateLimits: number[];
  close(): Promise<void>;
}

/**
 * A context for `source` with `env` on top of test defaults: private networks allowed, 2 s
 * requests, no retries (MAX_RETRIES_PER_SOURCE in `env` turns them on, with 10-50 ms backoff).
 */
export function makeContext(
  source: Source,
  env: Record<string, string>,
  options: { maxPages?: number } = {},
): TestContext {
  const config = loadConfig(
    { ALLOW_PRIVATE_NETWORKS: 'true', REQUEST_TIMEOUT: '2', SOURCE_TIMEOUT: '5', MAX_RETRIES_PER_SOURCE: '0', ...env },
    {},
  );
  const client = createHttpClient(config, { retryBaseMs: 10, retryCapMs: 50 });
  const signal = new AbortController().signal;
  let pages = 0;
  const rateLimits: number[] = [];
  const ctx: SourceContext = {
    http: bindSourceHttp(client, {
      signal,
      timeoutMs: config.requestTimeoutMs,
      retries: config.maxRetriesPerSource,
      sourceId: source.id,
    }),
    signal,
    config,
    origin: originOf(source, config),
    maxPages: options.maxPages ?? 10,
    reportRateLimit: (n) => rateLimits.push(n),
    reportPage: () => void pages++,
  };
  return { ctx, pages: () => pages, rateLimits, close: () => client.close() };
}

/** A search query: `text` plus what the test sets; 10 images unless told. */
export type TestQuery = Partial<SearchQuery> & { text: string };

/** Every candidate of a search, or the first `max` (then the generator is closed, as the runner does). */
export async function collect(
  source: Source,
  query: TestQuery,
  ctx: SourceContext,
  max = Infinity,
): Promise<MediaCandidate[]> {
  const out: MediaCandidate[] = [];
  if (max <= 0) return out;
  for await (const c of source.search({ type: 'image', limit: 10, ...query }, ctx)) {
    out.push(c);
    if (out.length >= max) break;
  }
  return out;
}

/** The error a search throws (fails the test when it throws none). */
export async function searchError(source: Source, query: TestQuery, ctx: SourceContext): Promise<Error> {
  try {
    await collect(source, query, ctx);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the search to fail');
}

export interface FakeServer {
  origin: string;
  /** Request URLs (path and query) in arrival order. */
  requests: string[];
  /** Request headers in arrival order. */
  headers: IncomingMessage['headers'][];
  close(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1:0 answering with `handler` (`url` is absolute, on the server's origin). */
export async function fakeServer(
  handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void,
): Promise<FakeServer> {
  const requests: string[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const sockets = new Set<Socket>();
  let origin = '';
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    headers.push(req.headers);
    handler(req, res, new URL(req.url ?? '/', origin));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

type ContextOptions = { env?: Record<string, string>; maxPages?: number };
type Run<S> = (t: TestContext, server: S) => Promise<void>;

/**
 * Runs `run` with a context for `source` pointed (by <ID>_BASE_URL, plus `env`) at a fakeServer
 * answering with `handler`, and closes both after, whatever `run` does.
 */
export async function withFakeServer(
  source: Source,
  handler: Parameters<typeof fakeServer>[0],
  ...args: [Run<FakeServer>] | [ContextOptions, Run<FakeServer>]
): Promise<void> {
  const [options, run] = args.length === 1 ? [{}, args[0]] : args;
  const server = await fakeServer(handler);
  const t = makeContext(
    source,
    { [`${envPrefix(source.id)}_BASE_URL`]: server.origin, ...options.env },
    { maxPages: options.maxPages },
  );
  try {
    await run(t, server);
  } finally {
    await t.close();
    await server.close();
  }
}

/** Runs `run` with a context for `source` on the simulation of that source alone (its env plus `env`), and closes both after. */
export async function withSimulation(
  source: Source,
  ...args: [Run<Simulation>] | [ContextOptions, Run<Simulation>]
): Promise<void> {
  const [options, run] = args.length === 1 ? [{}, args[0]] : args;
  const simulation = await startSimulation({ sources: [source.id] });
  const t = makeContext(source, { ...simulation.env, ...options.env }, { maxPages: options.maxPages });
  try {
    await run(t, simulation);
  } finally {
    await t.close();
    await simulation.close();
  }
}

/** For an image-only source: a video search yields nothing and asks the service nothing. */
export async function assertVideoSearchAsksNothing(source: Source): Promise<void> {
  await withSimulation(source, async (t, simulation) => {
    assert.deepEqual(await collect(source, { text: 'x', limit: 5, type: 'video' }, t.ctx), []);
    assert.equal(simulation.requests[source.id]!.length, 0);
  });
}

/** A handler answering every request with the same body. */
export function always(
  body: string,
  status = 200,
  headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' },
) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

/** Sends `body` as JSON with `status` and extra headers. */
export function sendJson(res: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A fixture file parsed as JSON (fixtures/<path>). */
export function fixtureJson(path: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8')) as unknown;
}

export interface JobRun {
  doc: JobDocument;
  /** Requests the simulated source received (search pages, asset lists, media), path and query. */
  requests: string[];
  /** Media files saved under DOWNLOAD_DIR (manifests and sidecars left out), relative, forward slashes. */
  filesOnDisk: string[];
}

/**
 * Runs one job for `sourceId` through the real job service (runner, downloader, SQLite store,
 * download log) against the simulation, and returns the final job document.
 */
export async function runJob(
  sourceId: SourceId,
  spec: { limit: number; type: MediaType; query?: string },
  env: Record<string, string> = {},
): Promise<JobRun> {
  const h = await openHarness({
    sim: { sources: [sourceId] },
    env: { REQUEST_TIMEOUT: '5', SOURCE_TIMEOUT: '30', ...env },
  });
  try {
    const submitted = await h.service.submit({
      query: spec.query ?? 'harvest',
      sources: [sourceId],
      limit: spec.limit,
      type: spec.type,
    });
    const doc = await h.service.wait(submitted.job_id);
    const filesOnDisk = listFiles(h.config.downloadDir).filter((f) => !/\.(json|csv|txt|md)$/.test(f));
    return { doc, requests: [...(h.sim.requests[sourceId] ?? [])], filesOnDisk };
  } finally {
    await h.close();
  }
}
