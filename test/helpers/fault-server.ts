// A real HTTP server on 127.0.0.1:0 that misbehaves on demand, for the http and
// download tests and the reliability suites. Every fault is a path (with query parameters), so
// a test composes URLs instead of configuring the server:
//
//   /ok.png?key=K&w=64&h=48      a valid PNG            /ok.jpg?w=16&h=8   a valid baseline JPEG
//   /ok.mp4?key=K&size=4096      a minimal MP4          /json             a small valid JSON document
//   /echo                        the request's method and headers as JSON
//   /hang                        accepts, reads the request, never answers
//   /headers-then-silence        200 + headers (Content-Length), then nothing
//   /hang-mid-body?after=N       headers and N bytes of a PNG, then nothing
//   /drip?bytes=N&intervalMs=T&key=K  a PNG (its pixels from K), N bytes every T ms (Content-Length set)
//   /reset?after=N               N bytes of a PNG, then a TCP reset
//   /truncated?declared=D&sent=S Content-Length D, S bytes, then the connection closes
//   /status/N?retryAfter=V       status N with an optional Retry-After (seconds or HTTP-date)
//   /flaky?failures=N&status=S&retryAfter=V&key=K   S for the first N hits of that URL, then a PNG
//   /redirect-loop/a             /redirect-loop/a -> /b -> /a …
//   /redirect?to=URL&status=302  one redirect to URL (e.g. http://10.0.0.1/ or http://localhost:PORT/)
//   /redirect-chain?n=N          N redirects in a row, then a PNG
//   /html-as-image               an HTML error page served as image/jpeg
//   /svg                         an SVG served as image/svg+xml
//   /oversized?bytes=N&length=0|1  a PNG-headed body of N bytes, generated on the fly, with or without Content-Length
//   /large?bytes=N               the same, always with Content-Length (deterministic: see largeBodyChunks)
//   /gzip-bomb?mb=N              a small gzip body that inflates to N MiB of zeros (Content-Encoding: gzip)
//   /gzip-text?text=T            T gzip-compressed, as text/plain
//   /invalid-json                application/json that does not parse
//   /slow?delayMs=T&path=/ok.png delays any other route by T ms (per request latency)
//   /resumable?key=K&cut=N&ranges=honour|ignore   a PNG with ETag and Accept-Ranges: the first
//                                request of each key is cut after N bytes; a later `Range` request
//                                gets 206 + the rest (honour) or the whole file again (ignore)
//   /layout-changed?format=html|json  a well-formed page with none of the markup a source expects
//
// `setFallback(route)` serves every path that is not a route above as `route` (a path with its
// query, e.g. `/status/503?retryAfter=1`), so a source pointed here with `<ID>_BASE_URL`
// gets that fault at its real search path; `setFallback(null)` restores the 404.
//
// `hits(path)` counts requests per path (without query), `log` keeps each request's time.
// `close()` destroys every socket, including the ones left hanging on purpose.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { makeMp4, makePng } from '../../src/demo/media.ts';

export interface FaultServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  server: Server;
  /** `origin + path` */
  url(path: string): string;
  /** Requests received for `path` (without query string), all methods. */
  hits(path: string): number;
  /** Every request: path with query, and its arrival time (performance.now() ms). */
  log: Array<{ path: string; atMs: number; headers: IncomingMessage['headers'] }>;
  /** Serves every unknown path as `route` (path and query), or 404 again with null. */
  setFallback(route: string | null): void;
  close(): Promise<void>;
}

/** A valid baseline greyscale JPEG of `width`×`height` (every 8×8 block flat grey). */
export function makeJpeg(width = 16, height = 8): Buffer {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const segment = (marker: number, body: number[]): number[] => [
    0xff,
    marker,
    (body.length + 2) >> 8,
    (body.length + 2) & 0xff,
    ...body,
  ];
  const counts = (n: number): number[] => [n, ...new Array<number>(15).fill(0)];
  // Two bits per block: DC category 0 (code "0") and end-of-block (code "0"); pad with ones.
  const bits = blocks * 2;
  const scan = new Array<number>(Math.ceil(bits / 8)).fill(0);
  const padding = scan.length * 8 - bits;
  if (padding > 0) scan[scan.length - 1] = (1 << padding) - 1;
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
    ...segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]),
    ...segment(0xc0, [0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00]),
    ...segment(0xc4, [0x00, ...counts(1), 0x00]),
    ...segment(0xc4, [0x10, ...counts(1), 0x00]),
    ...segment(0xda, [0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]),
    ...scan,
    0xff,
    0xd9,
  ]);
}

/** Size of each generated chunk of /large and /oversized. */
export const LARGE_CHUNK_BYTES = 64 * 1024;

/**
 * The body of /large?bytes=N as chunks: a PNG signature and IHDR (so the downloader sniffs a
 * PNG), then a repeating byte pattern. Tests hash the same chunks to know the expected SHA-256.
 */
export function* largeBodyChunks(totalBytes: number): Generator<Buffer> {
  const head = makePng('large', 8, 8).subarray(0, 33); // signature + IHDR
  const pattern = Buffer.alloc(LARGE_CHUNK_BYTES);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 31 + 7) & 0xff;
  let sent = 0;
  let first = true;
  while (sent < totalBytes) {
    const size = Math.min(LARGE_CHUNK_BYTES, totalBytes - sent);
    let chunk = pattern.subarray(0, size);
    if (first) {
      chunk = Buffer.from(chunk);
      head.copy(chunk, 0, 0, Math.min(head.length, size));
      first = false;
    }
    sent += size;
    yield chunk;
  }
}

const HTML_ERROR =
  '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The image you requested is gone.</p></body></html>';
const LAYOUT_CHANGED_HTML =
  '<!DOCTYPE html><html><head><title>Search</title></head><body><main id="new-results-grid"><p>We have redesigned our results page.</p></main></body></html>';
const LAYOUT_CHANGED_JSON = JSON.stringify({
  version: 2,
  data: { hits: { edges: [] } },
  meta: { note: 'results moved to data.hits.edges' },
});
const SVG =
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>';

function num(params: URLSearchParams, name: string, fallback: number): number {
  const raw = params.get(name);
  const n = raw === null ? NaN : Number(raw);
  return Number.isFinite(n) ? n : fallback;
}

/** Writes generated chunks with backpressure; stops when the client goes away. */
function streamChunks(res: ServerResponse, chunks: Iterator<Buffer>): void {
  const pump = (): void => {
    for (;;) {
      if (res.destroyed) return;
      const next = chunks.next();
      if (next.done) {
        res.end();
        return;
      }
      if (!res.write(next.value)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

let bombCache: { mb: number; body: Buffer } | undefined;

/** Starts a fault server on 127.0.0.1, port 0. */
export async function startFaultServer(): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const counts = new Map<string, number>();
  const log: FaultServer['log'] = [];
  let fallback: string | null = null;
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  function handle(req: IncomingMessage, res: ServerResponse, url: URL, fallbackUsed = false): void {
    const q = url.searchParams;
    const path = url.pathname;
    const png = (): Buffer => makePng(q.get('key') ?? path, num(q, 'w', 64), num(q, 'h', 48));
    const send = (status: number, headers: Record<string, string | number>, body?: Buffer | string): void => {
      res.writeHead(status, headers);
      res.end(body);
    };

    if (path === '/ok.png' || path.startsWith('/files/')) return send(200, { 'content-type': 'image/png' }, png());
    if (path === '/ok.jpg')
      return send(200, { 'content-type': 'image/jpeg' }, makeJpeg(num(q, 'w', 16), num(q, 'h', 8)));
    if (path === '/ok.mp4')
      return send(200, { 'content-type': 'video/mp4' }, makeMp4(q.get('key') ?? 'mp4', num(q, 'size', 4096)));
    if (path === '/json')
      return send(200, { 'content-type': 'application/json' }, JSON.stringify({ ok: true, items: [1, 2, 3] }));
    if (path === '/echo')
      return send(
        200,
        { 'content-type': 'application/json' },
        JSON.stringify({ method: req.method, headers: req.headers }),
      );
    if (path === '/hang') return; // never answered; close() destroys the socket
    if (path === '/headers-then-silence') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 100_000 });
      res.flushHeaders();
      return;
    }
    if (path === '/hang-mid-body') {
      const body = makePng('hang', 200, 200);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
      res.write(body.subarray(0, Math.min(num(q, 'after', 5000), body.length - 1)));
      return;
    }
    if (path === '/drip') {
      const body = makePng(q.get('key') ?? 'drip', 200, 200);
      const step = Math.max(1, num(q, 'bytes', 1));
      const intervalMs = num(q, 'intervalMs', 1000);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
      let offset = 0;
      const drip = (): void => {
        if (res.destroyed || offset >= body.length) return;
        res.write(body.subarray(offset, offset + step));
        offset += step;
        if (offset >= body.length) res.end();
        else later(intervalMs, drip);
      };
      drip();
      return;
    }
    if (path === '/reset') {
      const body = makePng('reset', 200, 200);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
      res.write(body.subarray(0, num(q, 'after', 5000)), () => {
        later(20, () => req.socket.resetAndDestroy());
      });
      return;
    }
    if (path === '/truncated') {
      const body = makePng('truncated', 200, 200);
      const declared = num(q, 'declared', body.length);
      const sent = Math.min(num(q, 'sent', Math.floor(declared / 2)), body.length);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': declared });
      res.write(body.subarray(0, sent), () => {
        later(20, () => req.socket.destroy());
      });
      return;
    }
    if (path.startsWith('/status/')) {
      const status = Number(path.slice('/status/'.length)) || 500;
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      const retryAfter = q.get('retryAfter');
      if (retryAfter !== null) headers['retry-after'] = retryAfter;
      return send(status, headers, `status ${status}`);
    }
    if (path === '/flaky') {
      const key = `${path}?${q.get('key') ?? ''}`;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      if (n <= num(q, 'failures', 1)) {
        const headers: Record<string, string> = { 'content-type': 'text/plain' };
        const retryAfter = q.get('retryAfter');
        if (retryAfter !== null) headers['retry-after'] = retryAfter;
        return send(num(q, 'status', 429), headers, 'try again later');
      }
      if (q.get('type') === 'json')
        return send(200, { 'content-type': 'application/json' }, JSON.stringify({ ok: true, attempt: n }));
      return send(200, { 'content-type': 'image/png' }, png());
    }
    if (path === '/redirect-loop/a') return send(302, { location: '/redirect-loop/b' });
    if (path === '/redirect-loop/b') return send(302, { location: '/redirect-loop/a' });
    if (path === '/redirect') return send(num(q, 'status', 302), { location: q.get('to') ?? '/ok.png' });
    if (path === '/redirect-chain') {
      const n = num(q, 'n', 1);
      return send(302, { location: n > 1 ? `/redirect-chain?n=${n - 1}&k=${n}` : '/ok.png?key=chain' });
    }
    if (path === '/html-as-image') return send(200, { 'content-type': 'image/jpeg' }, HTML_ERROR);
    if (path === '/svg') return send(200, { 'content-type': 'image/svg+xml' }, SVG);
    if (path === '/oversized' || path === '/large') {
      const bytes = num(q, 'bytes', 1024 * 1024);
      const headers: Record<string, string | number> = { 'content-type': 'image/png' };
      if (path === '/large' || q.get('length') !== '0') headers['content-length'] = bytes;
      res.writeHead(200, headers);
      streamChunks(res, largeBodyChunks(bytes));
      return;
    }
    if (path === '/gzip-bomb') {
      const mb = num(q, 'mb', 64);
      if (bombCache?.mb !== mb) bombCache = { mb, body: gzipSync(Buffer.alloc(mb * 1024 * 1024), { level: 9 }) };
      return send(
        200,
        { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': bombCache.body.length },
        bombCache.body,
      );
    }
    if (path === '/gzip-text') {
      return send(
        200,
        { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' },
        gzipSync(q.get('text') ?? 'hello'),
      );
    }
    if (path === '/resumable') {
      const key = q.get('key') ?? 'resumable';
      const body = makePng(key, 300, 300);
      const counter = `/resumable#${key}`;
      const n = (counts.get(counter) ?? 0) + 1;
      counts.set(counter, n);
      const etag = `"v1-${key}"`;
      const headers = { 'content-type': 'image/png', 'accept-ranges': 'bytes', etag };
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (n === 1 || !range) {
        res.writeHead(200, { ...headers, 'content-length': body.length });
        if (n > 1) return void res.end(body);
        // The reset waits long enough for the client to take in what was sent: bytes still in its
        // socket when the connection breaks are lost, and the resume would start from zero.
        res.write(body.subarray(0, num(q, 'cut', 10_000)), () => later(250, () => req.socket.destroy()));
        return;
      }
      const start = Number(range[1]);
      if (q.get('ranges') === 'ignore' || req.headers['if-range'] !== etag) {
        return send(200, { ...headers, 'content-length': body.length }, body);
      }
      return send(
        206,
        {
          ...headers,
          'content-length': body.length - start,
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        },
        body.subarray(start),
      );
    }
    if (path === '/invalid-json') return send(200, { 'content-type': 'application/json' }, '{"results": [1, 2,');
    if (path === '/layout-changed') {
      if (q.get('format') === 'json') return send(200, { 'content-type': 'application/json' }, LAYOUT_CHANGED_JSON);
      return send(200, { 'content-type': 'text/html; charset=utf-8' }, LAYOUT_CHANGED_HTML);
    }
    if (fallback !== null && !fallbackUsed) {
      return handle(req, res, new URL(fallback, url), true);
    }
    return send(404, { 'content-type': 'text/html' }, HTML_ERROR);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fault.invalid');
    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
    log.push({ path: `${url.pathname}${url.search}`, atMs: performance.now(), headers: req.headers });
    req.resume();
    if (url.pathname === '/slow') {
      const inner = new URL(url.searchParams.get('path') ?? '/ok.png', url);
      later(num(url.searchParams, 'delayMs', 20), () => handle(req, res, inner));
      return;
    }
    handle(req, res, url);
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    server,
    log,
    url: (path) => `${origin}${path}`,
    hits: (path) => counts.get(path) ?? 0,
    setFallback: (route) => {
      fallback = route;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}
