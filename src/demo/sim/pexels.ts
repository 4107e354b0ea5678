// Simulated Pexels API (fixtures/pexels/NOTES.md): GET /v1/search and GET /videos/search with
// the recorded pages — page 1, page 2, then an empty page — media URLs on the simulation,
// 401 without an Authorization header, X-Ratelimit-* headers as the real API sends them.
import type { SimHelpers, SimRequest, SimResponse, SimSource } from './types.ts';
import { jsonAnswer, kindByPath, pageParam, rewriteMediaUrls } from './json-media-urls.ts';

const MEDIA_HOSTS = new Set(['images.pexels.com', 'static-videos.pexels.com', 'videos.pexels.com', 'player.vimeo.com']);
/** Pexels' monthly request allowance, reported in X-Ratelimit-Limit. */
const RATE_LIMIT = 20000;

const PAGES = {
  photos: [
    'pexels/photos-search.laptop-page1.json',
    'pexels/photos-search.page2.assembled.json',
    'pexels/photos-search.page3-empty.assembled.json',
  ],
  videos: [
    'pexels/videos-search.json',
    'pexels/videos-search.page2.assembled.json',
    'pexels/videos-search.page3-empty.assembled.json',
  ],
} as const;

function answer(req: SimRequest, sim: SimHelpers, kind: 'photos' | 'videos', path: string): SimResponse {
  if (!req.headers.authorization)
    return { status: 401, headers: { 'content-type': 'text/plain' }, body: 'Unauthorized' };
  const page = pageParam(req.query);
  const files = PAGES[kind];
  const recorded = JSON.parse(sim.fixture(files[Math.min(page, files.length) - 1]!)) as Record<string, unknown>;
  const body = rewriteMediaUrls(recorded, sim, (url) =>
    MEDIA_HOSTS.has(url.hostname) ? kindByPath(url) : null,
  ) as Record<string, unknown>;
  // Paging links point at this server, with the request's own parameters, as the real ones do.
  const link = (n: number): string => {
    const q = new URLSearchParams(req.query);
    q.set('page', String(n));
    return `${sim.origin}${path}?${q.toString()}`;
  };
  if (body.next_page !== undefined) body.next_page = link(page + 1);
  if (body.prev_page !== undefined) body.prev_page = link(page - 1);
  body.page = page;
  return jsonAnswer(body, 200, {
    'x-ratelimit-limit': String(RATE_LIMIT),
    'x-ratelimit-remaining': String(RATE_LIMIT - page),
    'x-ratelimit-reset': '1767225600',
  });
}

export const sim: SimSource = {
  id: 'pexels',
  handle(req, helpers) {
    if (req.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
    if (req.path === '/v1/search' || req.path === '/v1/search/') return answer(req, helpers, 'photos', '/v1/search/');
    if (req.path === '/videos/search' || req.path === '/v1/videos/search')
      return answer(req, helpers, 'videos', '/v1/videos/search');
    return { status: 404, headers: { 'content-type': 'application/json' }, body: '{"status":404,"error":"Not Found"}' };
  },
};
