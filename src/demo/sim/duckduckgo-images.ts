// Simulated DuckDuckGo Images, in DuckDuckGo's two steps: GET / answers the recorded search page
// (its <head> holds vqd='3-…'); GET /i.js needs that vqd (else 403, as DuckDuckGo answers a bad
// token) and answers the recorded /i.js pages by offset `s`: none → page 1 (100 real results),
// 100 → page 2 (the real strict-mode page: 94 of its 100 results repeat page 1), beyond → the
// real empty answer. Image and thumbnail URLs are rewritten to the simulation's media route.
import { createHash } from 'node:crypto';
import type { SimHelpers, SimResponse, SimSource } from './types.ts';

const TOKEN_PAGE = 'duckduckgo_images/vqd-page-head.excerpt.html';
const PAGES: Record<string, string> = {
  '0': 'duckduckgo_images/i.js-page-1.real.json',
  '100': 'duckduckgo_images/i.js-page-2.assembled.json',
};
const NO_RESULTS = 'duckduckgo_images/i.js-no-results.real.json';
// The body of DuckDuckGo's 403 (as recorded by duck-duck-scrape's tests).
const FORBIDDEN = 'If this error persists, please let us know: ops@duckduckgo.com';

const rewritten = new Map<string, string>();

function tokenOf(sim: SimHelpers): string {
  return /vqd='([^']+)'/.exec(sim.fixture(TOKEN_PAGE))![1]!;
}

function answer(path: string, sim: SimHelpers): string {
  const key = `${sim.origin} ${path}`;
  let text = rewritten.get(key);
  if (text !== undefined) return text;
  const data = JSON.parse(sim.fixture(path)) as { results: Record<string, unknown>[] };
  for (const r of data.results) {
    const name = `ddg-${createHash('sha256').update(String(r.image)).digest('hex').slice(0, 12)}`;
    r.image = sim.mediaUrl(name, 'image');
    r.thumbnail = sim.mediaUrl(`${name}-thumb`, 'image');
  }
  text = JSON.stringify(data);
  rewritten.set(key, text);
  return text;
}

export const sim: SimSource = {
  id: 'duckduckgo_images',
  handle(req, sim): SimResponse {
    if (req.method !== 'GET') return { status: 404, body: 'not found' };
    if (req.path === '/' && req.query.get('q')) {
      return { headers: { 'content-type': 'text/html; charset=UTF-8' }, body: sim.fixture(TOKEN_PAGE) };
    }
    if (req.path === '/i.js') {
      if (req.query.get('vqd') !== tokenOf(sim) || !req.query.get('q')) {
        return { status: 403, headers: { 'content-type': 'text/plain' }, body: FORBIDDEN };
      }
      const path = PAGES[req.query.get('s') ?? '0'] ?? NO_RESULTS;
      return { headers: { 'content-type': 'application/json; charset=UTF-8' }, body: answer(path, sim) };
    }
    return { status: 404, body: 'not found' };
  },
};
