// A stand-in for Openverse whose results carry hostile titles: the recorded answer of
// fixtures/openverse (the real shape), with each title replaced by markup that would run script
// if a UI ever put it into innerHTML, and media served here as small valid PNGs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../../src/demo/sim-server.ts';
import { makePng } from '../../src/demo/media.ts';
import { fakeServer, sendJson, type FakeServer } from '../sources/source-harness.ts';

/**
 * Titles that survive the adapter's tag stripping (which removes complete `<…>` tags) and would
 * still execute through innerHTML: an unterminated <img onerror> and an <svg onload> after a
 * quote-breaker.
 */
export const HOSTILE_TITLES = [
  'Sunset <img src=x onerror=alert(1)//',
  '"><svg/onload=window.__pwned=1//',
  'Fox &lt;script&gt;window.__pwned=2&lt;/script&gt;',
];

export type HostileSource = Pick<FakeServer, 'origin' | 'close'>;

export async function startHostileOpenverse(): Promise<HostileSource> {
  const recorded = JSON.parse(
    readFileSync(join(FIXTURES_DIR, 'openverse', 'images-search.real-trimmed.json'), 'utf8'),
  ) as {
    results: Record<string, unknown>[];
  };
  return fakeServer((_req, res, url) => {
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
            url: `${url.origin}/media/${String(r.id)}.png`,
            thumbnail: `${url.origin}/media/${String(r.id)}-thumb.png`,
            filetype: 'png',
          }))
        : [];
    sendJson(res, { result_count: results.length, page_count: 1, page_size: 20, page, results });
  });
}
