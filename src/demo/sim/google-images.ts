// Simulated Google Images: answers GET /wml/search?tbm=isch like Google's WML layout, from the
// assembled pages in fixtures/google_images/ (start=0 → page 1, start=10 → page 2, beyond → the
// "did not match any image results" page). Each `/imgres?` link's imgurl and its thumbnail
// <img> are rewritten to the simulation's media route. A search without tbm=isch is a 404 here
// (the simulation knows only image search).
import { load } from 'cheerio';
import type { SimHelpers, SimResponse, SimSource } from './types.ts';

const PAGES: Record<string, string> = {
  '0': 'google_images/wml-page-1.assembled.html',
  '10': 'google_images/wml-page-2.assembled.html',
};
const NO_RESULTS = 'google_images/wml-no-results.assembled.html';

const rewritten = new Map<string, string>();

function page(path: string, sim: SimHelpers): string {
  const key = `${sim.origin} ${path}`;
  let text = rewritten.get(key);
  if (text !== undefined) return text;
  const source = sim.fixture(path);
  const declaration = /^\s*<\?xml[^>]*\?>\s*/.exec(source)?.[0] ?? '';
  const $ = load(source.slice(declaration.length), { xml: false });
  $('a[href*="/imgres?"]').each((_, el) => {
    const link = $(el);
    const url = new URL(link.attr('href') ?? '', 'https://www.google.com');
    const name = `google-${url.searchParams.get('tbnid') ?? url.searchParams.get('docid') ?? 'image'}`;
    url.searchParams.set('imgurl', sim.mediaUrl(name, 'image'));
    link.attr('href', `/imgres?${url.searchParams}`);
    link.find('img').attr('src', sim.mediaUrl(`${name}-thumb`, 'image'));
  });
  text = declaration + $.html();
  rewritten.set(key, text);
  return text;
}

export const sim: SimSource = {
  id: 'google_images',
  handle(req, sim): SimResponse {
    if (req.method !== 'GET' || req.path !== '/wml/search' || req.query.get('tbm') !== 'isch') {
      return { status: 404, body: 'not found' };
    }
    const path = PAGES[req.query.get('start') ?? '0'] ?? NO_RESULTS;
    return { headers: { 'content-type': 'text/html; charset=UTF-8' }, body: page(path, sim) };
  },
};
