// Simulated Openverse API (fixtures/openverse/NOTES.md): GET /v1/images/ with the recorded
// pages — page 1, page 2, then an empty page — media on the simulation, the anonymous throttle
// headers, and 401 for a page_size above the anonymous maximum of 20. With generated answers,
// `generated.perQuery` copies of the first page's results per query, paged by page_size.
import type { SimHelpers, SimRequest, SimSource } from './types.ts';
import { pageRange, pictureHelpers, templateFor, withId } from './generated.ts';
import { jsonAnswer, pageParam, rewriteMediaUrls, type MediaUrlMatcher } from './json-media-urls.ts';

const MEDIA_HOSTS = new Set(['upload.wikimedia.org', 'live.staticflickr.com', 'cdn.stocksnap.io']);
const PAGES = [
  'openverse/images-search.real-trimmed.json',
  'openverse/images-search.page2.assembled.json',
  'openverse/images-search.page3-empty.assembled.json',
] as const;

const isMedia: MediaUrlMatcher = (url) =>
  MEDIA_HOSTS.has(url.hostname) || (url.hostname === 'api.openverse.org' && url.pathname.endsWith('/thumb/'))
    ? 'image'
    : null;

/** Openverse's ids are UUIDs: generated picture `id` gets one of its own. */
function generatedUuid(id: number): string {
  return `00000000-0000-4000-8000-${id.toString(16).padStart(12, '0')}`;
}

/** A page of generated results, in the recorded page's shape (page 1, a later page, past the end). */
function generatedPage(req: SimRequest, helpers: SimHelpers, page: number, pageSize: number): unknown {
  const total = helpers.generated!.perQuery;
  const query = req.query.get('q') ?? '';
  const { from, to } = pageRange(total, page, pageSize);
  const shape = JSON.parse(helpers.fixture(PAGES[from >= total ? 2 : Math.min(page, 2) - 1]!)) as Record<
    string,
    unknown
  >;
  const templates = (JSON.parse(helpers.fixture(PAGES[0])) as { results: { id: string }[] }).results;
  const results: unknown[] = [];
  for (let n = from; n < to; n++) {
    const { item, id } = templateFor(templates, query, n, helpers);
    results.push(rewriteMediaUrls(withId(item, item.id, generatedUuid(id)), pictureHelpers(helpers, id), isMedia));
  }
  const body: Record<string, unknown> = { ...shape, result_count: total, page_size: pageSize, results };
  if ('page_count' in shape) body.page_count = Math.ceil(total / pageSize);
  if ('page' in shape) body.page = page;
  return body;
}

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
    const body = helpers.generated
      ? generatedPage(req, helpers, page, Number.isSafeInteger(pageSize) && pageSize >= 1 ? pageSize : 20)
      : rewriteMediaUrls(JSON.parse(helpers.fixture(PAGES[Math.min(page, PAGES.length) - 1]!)), helpers, isMedia);
    return jsonAnswer(body, 200, {
      'x-ratelimit-limit-anon_burst': '20/min',
      'x-ratelimit-available-anon_burst': String(Math.max(0, 20 - page)),
      'x-ratelimit-limit-anon_sustained': '200/day',
      'x-ratelimit-available-anon_sustained': String(Math.max(0, 200 - page)),
    });
  },
  generates: true,
};
