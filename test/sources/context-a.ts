// Test helpers of the sources-A adapters (google, bing, yandex, duckduckgo, unsplash): a real
// SourceContext on the real HTTP client, pointed at a local server standing in for the service,
// and a plain node:http server for pages the simulation does not serve (changed layouts, blocks).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { loadConfig, type Config } from '../../src/core/config.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JobDocument, MediaCandidate, SourceId } from '../../src/core/types.ts';
import { bindSourceHttp, createHttpClient } from '../../src/http/index.ts';
import { originOf, type SearchQuery, type Source, type SourceContext } from '../../src/sources/source.ts';
import { openHarness } from '../jobs/harness.ts';

export interface TestContext {
  ctx: SourceContext;
  config: Config;
  /** Pages the source reported, and rate-limit values it reported. */
  reported: { pages: number; rateLimits: number[] };
  /** Aborts the context's signal (a deadline or a cancel). */
  abort(reason?: unknown): void;
  close(): Promise<void>;
}

/** A context for `source` with `env` on top of test defaults (private networks allowed, 2 s requests, no retries). */
export function makeContext(source: Source, env: Record<string, string>, options: { maxPages?: number } = {}): TestContext {
  const config = loadConfig(
    { ALLOW_PRIVATE_NETWORKS: 'true', REQUEST_TIMEOUT: '2', MAX_RETRIES_PER_SOURCE: '0', ...env },
    {},
  );
  const client = createHttpClient(config);
  const controller = new AbortController();
  const reported = { pages: 0, rateLimits: [] as number[] };
  const ctx: SourceContext = {
    http: bindSourceHttp(client, {
      signal: controller.signal,
      timeoutMs: config.requestTimeoutMs,
      retries: config.maxRetriesPerSource,
      sourceId: source.id,
    }),
    signal: controller.signal,
    config,
    origin: originOf(source, config),
    maxPages: options.maxPages ?? 10,
    reportPage: () => {
      reported.pages++;
    },
    reportRateLimit: (n) => {
      reported.rateLimits.push(n);
    },
  };
  return { ctx, config, reported, abort: (reason) => controller.abort(reason), close: () => client.close() };
}

export function query(text: string, limit = 10, type: SearchQuery['type'] = 'image'): SearchQuery {
  return { text, limit, type };
}

/** Every candidate of a search, or the first `max` (then the generator is closed, as the runner does). */
export async function collect(iterable: AsyncIterable<MediaCandidate>, max = Infinity): Promise<MediaCandidate[]> {
  const out: MediaCandidate[] = [];
  if (max <= 0) return out;
  for await (const candidate of iterable) {
    out.push(candidate);
    if (out.length >= max) break;
  }
  return out;
}

/** The error a search throws (fails the test when it throws nothing). */
export async function searchError(iterable: AsyncIterable<MediaCandidate>): Promise<unknown> {
  try {
    await collect(iterable);
  } catch (error) {
    return error;
  }
  throw new Error('expected the search to throw');
}

export interface FakeService {
  origin: string;
  /** Path and query of every request, in order. */
  requests: string[];
  /** Headers of every request, in order. */
  headers: IncomingMessage['headers'][];
  close(): Promise<void>;
}

/** A local HTTP server on port 0 answering every request with `handler`. */
export async function fakeService(handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void): Promise<FakeService> {
  const requests: string[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    headers.push(req.headers);
    handler(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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

/** A handler answering every request with the same body. */
export function always(body: string, status = 200, headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' }) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

export interface JobRun {
  doc: JobDocument;
  /** Requests the simulated service received (path and query). */
  requests: string[];
  /** Files on disk under DOWNLOAD_DIR, relative, forward slashes. */
  filesOnDisk: string[];
}

/**
 * Runs one job for `sourceId` through the real job service (runner, downloader, SQLite store,
 * download log) against the simulation, and returns the final job document.
 */
export async function runJobOn(sourceId: SourceId, limit: number, env: Record<string, string> = {}): Promise<JobRun> {
  const h = await openHarness({ sim: { sources: [sourceId] }, env: { REQUEST_TIMEOUT: '5', SOURCE_TIMEOUT: '30', ...env } });
  try {
    const submitted = await h.service.submit({ query: 'harvest', sources: [sourceId], limit, type: 'image' });
    const doc = await h.service.wait(submitted.job_id);
    const filesOnDisk = listFiles(h.config.downloadDir).filter((f) => !/\.(json|csv|txt|md)$/.test(f));
    return { doc, requests: [...(h.sim.requests[sourceId] ?? [])], filesOnDisk };
  } finally {
    await h.close();
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out;
}
