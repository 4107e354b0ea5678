// Simulated Openverse API (fixtures/openverse/NOTES.md): GET /v1/images/ with the recorded
// pages — page 1, page 2, then an empty page — media on the simulation, the anonymous throttle
// headers, and 401 for a page_size above the anonymous maximum of 20.
import type { SimSource } from './types.ts';
import { jsonAnswer, pageParam, rewriteMediaUrls } from './json-media-urls.ts';

const MEDIA_HOSTS = new Set(['upload.wikimedia.org', 'live.staticflickr.com', 'cdn.stocksnap.io']);
const PAGES = [
  'openverse/images-search.real-trimmed.json',
  'openverse/images-search.page2.assembled.json',
  'openverse/images-search.page3-empty.assembled.json',
] as const;

export const sim: SimSource = {
  id: 'openverse',
  handle(req, helpers) {
    if (req.path !== '/v1/images/')
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
    if (req.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
    const pageSize = Number(req.query.get('page_size') ?? '20');
    if (pageSize > 20 && !req.headers.authorization)
      return { status: 401, headers: { 'content-type': 'text/plain' }, body: 'Unauthorized' };
    const page = pageParam(req.query);
    const recorded = JSON.parse(helpers.fixture(PAGES[Math.min(page, PAGES.length) - 1]!)) as unknown;
    const body = rewriteMediaUrls(recorded, helpers, (url) =>
      MEDIA_HOSTS.has(url.hostname) || (url.hostname === 'api.openverse.org' && url.pathname.endsWith('/thumb/'))
        ? 'image'
        : null,
    );
    return jsonAnswer(body, 200, {
      'x-ratelimit-limit-anon_burst': '20/min',
      'x-ratelimit-available-anon_burst': String(Math.max(0, 20 - page)),
      'x-ratelimit-limit-anon_sustained': '200/day',
      'x-ratelimit-available-anon_sustained': String(Math.max(0, 200 - page)),
    });
  },
};
