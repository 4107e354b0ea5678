// Simulated Commons API (fixtures/wikimedia_commons/NOTES.md): GET /w/api.php with a
// generator=search query answered from the recorded file pages, cut into pages by gsroffset
// with MediaWiki's `continue` object, ending with the bare {"batchcomplete":true}; both
// formatversions, imageinfo or videoinfo as asked, media on the simulation. With generated
// answers, a filetype:bitmap search finds `generated.perQuery` copies of the recorded image pages,
// cut into pages by gsrlimit.
import type { SimHelpers, SimRequest, SimResponse, SimSource } from './types.ts';
import { pictureHelpers, templateFor } from './generated.ts';
import { jsonAnswer, kindByPath, rewriteMediaUrls, type MediaUrlMatcher } from './json-media-urls.ts';

type PageObject = Record<string, unknown>;

function recordedPages(sim: SimHelpers): { recorded: PageObject; duhok: PageObject; bunny: PageObject } {
  const answer = JSON.parse(sim.fixture('wikimedia_commons/generator-search-imageinfo.real-trimmed.json')) as {
    query: { pages: PageObject[] };
  };
  return {
    recorded: answer.query.pages[0]!,
    duhok: JSON.parse(sim.fixture('wikimedia_commons/page-city-of-duhok.assembled.json')) as PageObject,
    bunny: JSON.parse(sim.fixture('wikimedia_commons/videoinfo-big-buck-bunny.json')) as PageObject,
  };
}

/** The result pages for a gsrsearch, by its filetype: keyword. */
function resultPages(gsrsearch: string, sim: SimHelpers): PageObject[][] {
  const types = (/filetype:([a-z|]+)/i.exec(gsrsearch)?.[1] ?? '').toLowerCase().split('|');
  const { recorded, duhok, bunny } = recordedPages(sim);
  const images = types.includes('bitmap');
  const videos = types.includes('video');
  if (images && videos)
    return [
      [recorded, bunny],
      [duhok, recorded],
    ];
  if (images) return [[recorded], [duhok, recorded]];
  if (videos) return [[bunny]];
  return [];
}

const isMedia: MediaUrlMatcher = (url) => (url.hostname === 'upload.wikimedia.org' ? kindByPath(url) : null);

/**
 * Generated file pages `offset`… (at most `limit`) for the search text `text`: copies of the
 * recorded image pages, each with its own page id, title and files; none for a video-only search.
 */
function generatedPages(text: string, images: boolean, offset: number, limit: number, sim: SimHelpers): PageObject[] {
  const total = images ? sim.generated!.perQuery : 0;
  const { recorded, duhok } = recordedPages(sim);
  const pages: PageObject[] = [];
  for (let n = Math.max(0, offset); n < Math.min(total, offset + limit); n++) {
    const { item, id } = templateFor([recorded, duhok], text, n, sim);
    const copy = rewriteMediaUrls(item, pictureHelpers(sim, id), isMedia) as PageObject;
    pages.push({ ...copy, pageid: id, title: `File:${text} ${id}.jpg` });
  }
  return pages;
}

/** A page object with the info key the request asked for (videoinfo adds `derivatives`). */
function withInfoKey(page: PageObject, prop: string, index: number): PageObject {
  const info = (page.imageinfo ?? page.videoinfo) as Record<string, unknown>[];
  const { imageinfo: _i, videoinfo: _v, ...rest } = page;
  if (prop === 'videoinfo') return { ...rest, index, videoinfo: info.map((i) => ({ derivatives: [], ...i })) };
  return { ...rest, index, imageinfo: info.map(({ derivatives: _d, ...i }) => i) };
}

function search(req: SimRequest, sim: SimHelpers): SimResponse {
  const q = req.query;
  const gsrsearch = (q.get('gsrsearch') ?? '').trim();
  if (gsrsearch === '') {
    return jsonAnswer({
      error: { code: 'missingparam', info: 'The "gsrsearch" parameter must be set.' },
      servedby: 'mw-api-ext',
    });
  }
  const fv2 = q.get('formatversion') === '2';
  const prop = q.get('prop') === 'videoinfo' ? 'videoinfo' : 'imageinfo';
  const offset = Number(q.get('gsroffset') ?? '0');
  if (sim.generated) return generatedSearch(gsrsearch, offset, q, sim);
  const pages = resultPages(gsrsearch, sim);
  let start = 0;
  let chunk: PageObject[] | undefined;
  for (const p of pages) {
    if (start === offset) {
      chunk = p;
      break;
    }
    start += p.length;
  }
  if (!chunk) return jsonAnswer({ batchcomplete: fv2 ? true : '' });
  const list = chunk.map((page, i) => withInfoKey(page, prop, offset + i + 1));
  const next = offset + chunk.length;
  const body = {
    batchcomplete: fv2 ? true : '',
    // Every page of results offers `continue`, so a client meets the bare end-of-results
    // envelope on the request after the last page and must take it as the end.
    continue: { gsroffset: next, continue: 'gsroffset||' },
    query: { pages: fv2 ? list : Object.fromEntries(list.map((p) => [String(p.pageid), p])) },
  };
  return jsonAnswer(
    rewriteMediaUrls(body, sim, (url) => (url.hostname === 'upload.wikimedia.org' ? kindByPath(url) : null)),
  );
}

/** A generated answer: up to gsrlimit pages from `offset`, `continue` while more are left. */
function generatedSearch(gsrsearch: string, offset: number, q: URLSearchParams, sim: SimHelpers): SimResponse {
  const fv2 = q.get('formatversion') === '2';
  const prop = q.get('prop') === 'videoinfo' ? 'videoinfo' : 'imageinfo';
  const limit = Math.min(50, Math.max(1, Number.parseInt(q.get('gsrlimit') ?? '10', 10) || 10));
  const types = (/filetype:([a-z|]+)/i.exec(gsrsearch)?.[1] ?? '').toLowerCase().split('|');
  const text = gsrsearch.replace(/filetype:\S*/gi, '').trim();
  const chunk = Number.isSafeInteger(offset) ? generatedPages(text, types.includes('bitmap'), offset, limit, sim) : [];
  if (chunk.length === 0) return jsonAnswer({ batchcomplete: fv2 ? true : '' });
  const list = chunk.map((page, i) => withInfoKey(page, prop, offset + i + 1));
  const next = offset + chunk.length;
  const body: Record<string, unknown> = { batchcomplete: fv2 ? true : '' };
  // As the recorded search does: `continue` on every page, the bare envelope after the last.
  body.continue = { gsroffset: next, continue: 'gsroffset||' };
  body.query = { pages: fv2 ? list : Object.fromEntries(list.map((p) => [String(p.pageid), p])) };
  return jsonAnswer(body);
}

export const sim: SimSource = {
  id: 'wikimedia_commons',
  handle(req, helpers) {
    if (
      req.path === '/w/api.php' &&
      req.method === 'GET' &&
      req.query.get('action') === 'query' &&
      req.query.get('generator') === 'search'
    ) {
      return search(req, helpers);
    }
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
  },
  generates: true,
};
