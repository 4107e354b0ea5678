// Simulated Pixabay API (fixtures/pixabay/NOTES.md): GET /api/ and GET /api/videos/ with
// `key=` (else a plain-text 400), page 1, page 2, then an empty page; media on the simulation.
// With generated answers, image searches find `generated.perQuery` copies of page 1's hits.
import type { SimHelpers, SimRequest, SimResponse, SimSource } from './types.ts';
import { pageRange, pictureHelpers, templateFor, withId } from './generated.ts';
import { jsonAnswer, kindByPath, pageParam, rewriteMediaUrls, type MediaUrlMatcher } from './json-media-urls.ts';

const PAGES = {
  images: [
    'pixabay/images-search.page1.assembled.json',
    'pixabay/images-search.page2.assembled.json',
    'pixabay/images-search.page3-empty.assembled.json',
  ],
  videos: [
    'pixabay/videos-search.page1.assembled.json',
    'pixabay/videos-search.page2.assembled.json',
    'pixabay/videos-search.page3-empty.assembled.json',
  ],
} as const;
/** Documented default: 100 requests per 60 seconds. */
const RATE_LIMIT = 100;

const isMedia: MediaUrlMatcher = (url) => {
  if (url.hostname === 'cdn.pixabay.com') return kindByPath(url);
  return url.hostname === 'pixabay.com' && url.pathname.startsWith('/get/') ? 'image' : null;
};

/** A page of generated image hits, in the recorded answer's shape. */
function generatedHits(req: SimRequest, sim: SimHelpers, page: number): unknown {
  const total = sim.generated!.perQuery;
  const query = req.query.get('q') ?? '';
  const perPage = Math.min(200, Math.max(3, Number.parseInt(req.query.get('per_page') ?? '20', 10) || 20));
  const { from, to } = pageRange(total, page, perPage);
  const recorded = JSON.parse(sim.fixture(PAGES.images[0])) as { hits: { id: number }[] } & Record<string, unknown>;
  const hits: unknown[] = [];
  for (let n = from; n < to; n++) {
    const { item, id } = templateFor(recorded.hits, query, n, sim);
    const copy = withId(item, String(item.id), String(id)) as Record<string, unknown>;
    hits.push(rewriteMediaUrls({ ...copy, id }, pictureHelpers(sim, id), isMedia));
  }
  return { ...recorded, total, totalHits: total, hits };
}

function answer(req: SimRequest, sim: SimHelpers, kind: 'images' | 'videos'): SimResponse {
  if (!req.query.get('key')) {
    return {
      status: 400,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: '[ERROR 400] Invalid or missing API key',
    };
  }
  const page = pageParam(req.query);
  const files = PAGES[kind];
  const body =
    sim.generated && kind === 'images'
      ? generatedHits(req, sim, page)
      : rewriteMediaUrls(JSON.parse(sim.fixture(files[Math.min(page, files.length) - 1]!)), sim, isMedia);
  return jsonAnswer(body, 200, {
    'x-ratelimit-limit': String(RATE_LIMIT),
    'x-ratelimit-remaining': String(RATE_LIMIT - page),
    'x-ratelimit-reset': '60',
  });
}

export const sim: SimSource = {
  id: 'pixabay',
  handle(req, helpers) {
    if (req.method === 'GET' && req.path === '/api/') return answer(req, helpers, 'images');
    if (req.method === 'GET' && req.path === '/api/videos/') return answer(req, helpers, 'videos');
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
  },
  generates: true,
};
