// Simulated Pexels API (fixtures/pexels/NOTES.md): GET /v1/search and GET /videos/search with
// the recorded pages — page 1, page 2, then an empty page — media URLs on the simulation,
// 401 without an Authorization header, X-Ratelimit-* headers as the real API sends them. With
// generated answers, photo searches find `generated.perQuery` copies of the first page's photos.
import type { SimHelpers, SimRequest, SimResponse, SimSource } from './types.ts';
import { pageRange, pictureHelpers, templateFor, withId } from './generated.ts';
import { jsonAnswer, kindByPath, pageParam, rewriteMediaUrls, type MediaUrlMatcher } from './json-media-urls.ts';

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

const isMedia: MediaUrlMatcher = (url) => (MEDIA_HOSTS.has(url.hostname) ? kindByPath(url) : null);

/** A page of generated photos, in the recorded page's shape (page 1, a later page, past the end). */
function generatedPhotos(req: SimRequest, sim: SimHelpers, page: number): Record<string, unknown> {
  const total = sim.generated!.perQuery;
  const query = req.query.get('query') ?? '';
  const perPage = Math.min(80, Math.max(1, Number.parseInt(req.query.get('per_page') ?? '15', 10) || 15));
  const { from, to } = pageRange(total, page, perPage);
  const files = PAGES.photos;
  const shape = JSON.parse(sim.fixture(files[from >= total ? 2 : Math.min(page, 2) - 1]!)) as Record<string, unknown>;
  const templates = (JSON.parse(sim.fixture(files[0])) as { photos: { id: number }[] }).photos;
  const photos: unknown[] = [];
  for (let n = from; n < to; n++) {
    const { item, id } = templateFor(templates, query, n, sim);
    const copy = withId(item, String(item.id), String(id)) as Record<string, unknown>;
    photos.push(rewriteMediaUrls({ ...copy, id }, pictureHelpers(sim, id), isMedia));
  }
  const body: Record<string, unknown> = { ...shape, total_results: total, per_page: perPage, photos };
  // The last page has no next_page, as the API answers.
  if (to < total) body.next_page = '';
  else delete body.next_page;
  if (page > 1) body.prev_page = '';
  return body;
}

function answer(req: SimRequest, sim: SimHelpers, kind: 'photos' | 'videos', path: string): SimResponse {
  if (!req.headers.authorization)
    return { status: 401, headers: { 'content-type': 'text/plain' }, body: 'Unauthorized' };
  const page = pageParam(req.query);
  const files = PAGES[kind];
  const body =
    sim.generated && kind === 'photos'
      ? generatedPhotos(req, sim, page)
      : (rewriteMediaUrls(JSON.parse(sim.fixture(files[Math.min(page, files.length) - 1]!)), sim, isMedia) as Record<
          string,
          unknown
        >);
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
  generates: true,
};
