// A stand-in for Openverse whose results carry hostile titles: the recorded answer of
// fixtures/openverse (the real shape), with each title replaced by markup that would run script
// if a UI ever put it into innerHTML, and media served here as small valid PNGs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../../src/demo/sim-server.ts';
import { makePng } from '../../src/demo/media.ts';

/**
 * Titles that survive the adapter's tag stripping (which removes complete `<…>` tags) and would
 * still execute through innerHTML: an unterminated <img onerror> and an <svg onload> after a
 * quote-breaker.
 */
export const HOSTILE_TITLES = ['Sunset <img src=x onerror=alert(1)//', '"><svg/onload=window.__pwned=1//', 'Fox &lt;script&gt;window.__pwned=2&lt;/script&gt;'];

export interface HostileSource {
  origin: string;
  close(): Promise<void>;
}

export async function startHostileOpenverse(): Promise<HostileSource> {
  const recorded = JSON.parse(readFileSync(join(FIXTURES_DIR, 'openverse', 'images-search.real-trimmed.json'), 'utf8')) as {
    results: Record<string, unknown>[];
  };
  const sockets = new Set<Socket>();
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/media/')) {
      const body = makePng(url.pathname);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
      res.end(body);
      return;
    }
    if (url.pathname !== '/v1/images/') {
      res.writeHead(404).end();
      return;
    }
    const page = Number(url.searchParams.get('page') ?? '1');
    const results =
      page === 1
        ? recorded.results.map((r, i) => ({
            ...r,
            title: HOSTILE_TITLES[i % HOSTILE_TITLES.length],
            url: `${origin}/media/${String(r.id)}.png`,
            thumbnail: `${origin}/media/${String(r.id)}-thumb.png`,
            filetype: 'png',
          }))
        : [];
    const body = JSON.stringify({ result_count: results.length, page_count: 1, page_size: 20, page, results });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
