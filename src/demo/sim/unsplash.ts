// Simulated Unsplash: GET /search/photos (needs `Authorization: Client-ID …`, else 401 as the API
// answers; sends X-Ratelimit-Limit/-Remaining), the keyless GET /napi/search/photos (no key, no
// rate-limit headers), and GET /photos/:id/download (the download_location call, keyed). Results
// come from fixtures/unsplash/results-pool.assembled.json, paged by `page` and `per_page` (max
// 30) like the API: {total, total_pages, results}; a page past the end has `results: []`.
// Photo URLs (urls.*) are rewritten to the simulation's media route.
import type { SimHelpers, SimRequest, SimResponse, SimSource } from './types.ts';

const POOL = 'unsplash/results-pool.assembled.json';
const JSON_TYPE = { 'content-type': 'application/json' };
const RATE_LIMIT = 50;

type Photo = Record<string, unknown> & { id: string; urls: Record<string, string> };

const pools = new Map<string, Photo[]>();
const remaining = new Map<string, number>();

function pool(sim: SimHelpers): Photo[] {
  let photos = pools.get(sim.origin);
  if (photos) return photos;
  photos = (JSON.parse(sim.fixture(POOL)) as Photo[]).map((photo) => {
    const urls: Record<string, string> = {};
    for (const size of Object.keys(photo.urls)) {
      // raw and full are the same file at full size; the rest are smaller renditions.
      urls[size] = sim.mediaUrl(
        size === 'raw' || size === 'full' ? `unsplash-${photo.id}` : `unsplash-${photo.id}-${size}`,
        'image',
      );
    }
    return { ...photo, urls };
  });
  pools.set(sim.origin, photos);
  return photos;
}

function keyOf(req: SimRequest): string | undefined {
  const m = /^Client-ID (\S+)$/.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

function rateHeaders(sim: SimHelpers): Record<string, string> {
  const left = Math.max(0, (remaining.get(sim.origin) ?? RATE_LIMIT) - 1);
  remaining.set(sim.origin, left);
  return { 'x-ratelimit-limit': String(RATE_LIMIT), 'x-ratelimit-remaining': String(left) };
}

function search(req: SimRequest, sim: SimHelpers, extra: Record<string, string>): SimResponse {
  const query = req.query.get('query') ?? '';
  if (query.trim() === '')
    return { status: 400, headers: { ...JSON_TYPE, ...extra }, body: '{"errors":["query is missing"]}' };
  const page = Math.max(1, Number.parseInt(req.query.get('page') ?? '1', 10) || 1);
  const perPage = Math.min(30, Math.max(1, Number.parseInt(req.query.get('per_page') ?? '10', 10) || 10));
  const photos = pool(sim);
  const body = {
    total: photos.length,
    total_pages: Math.ceil(photos.length / perPage),
    results: photos.slice((page - 1) * perPage, page * perPage),
  };
  return { headers: { ...JSON_TYPE, ...extra }, body: JSON.stringify(body) };
}

export const sim: SimSource = {
  id: 'unsplash',
  handle(req, sim): SimResponse {
    if (req.method !== 'GET') return { status: 404, body: 'not found' };
    if (req.path === '/napi/search/photos') return search(req, sim, {});
    if (req.path === '/search/photos' || /^\/photos\/[^/]+\/download$/.test(req.path)) {
      if (!keyOf(req)) {
        return { status: 401, headers: JSON_TYPE, body: '{"errors":["OAuth error: The access token is invalid"]}' };
      }
      const limits = rateHeaders(sim);
      if (req.path === '/search/photos') return search(req, sim, limits);
      const id = req.path.split('/')[2]!;
      const photo = pool(sim).find((p) => p.id === id);
      if (!photo) return { status: 404, headers: JSON_TYPE, body: '{"errors":["Couldn\'t find Photo"]}' };
      return { headers: { ...JSON_TYPE, ...limits }, body: JSON.stringify({ url: photo.urls.full }) };
    }
    return { status: 404, body: 'not found' };
  },
};
