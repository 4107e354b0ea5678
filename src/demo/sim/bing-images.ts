// Simulated Bing Images: answers GET /images/async like www.bing.com does, from the assembled
// pages in fixtures/bing_images/ (first=1 → page 1, the next page → page 2, beyond → Bing's
// result container without cards). Media and thumbnail URLs inside each card's `m` JSON, its
// href and its <img> are rewritten to the simulation's media route.
import { load } from 'cheerio';
import type { SimHelpers, SimResponse, SimSource } from './types.ts';

const PAGES = ['bing_images/page-1.assembled.html', 'bing_images/page-2.assembled.html'];
const END = 'bing_images/page-end.assembled.html';
const HTML = { 'content-type': 'text/html; charset=utf-8' };

const rewritten = new Map<string, string>();

/** The fixture page with every media URL pointing at the simulation (cached per origin). */
function page(path: string, sim: SimHelpers): string {
  const key = `${sim.origin} ${path}`;
  let text = rewritten.get(key);
  if (text !== undefined) return text;
  const $ = load(sim.fixture(path), null, false);
  $('a.iusc[m]').each((_, el) => {
    const card = $(el);
    const m = JSON.parse(card.attr('m') ?? '{}') as Record<string, unknown>;
    const name = `bing-${String(m.mid ?? m.cid ?? 'card')}`;
    m.murl = sim.mediaUrl(name, 'image');
    m.turl = sim.mediaUrl(`${name}-thumb`, 'image');
    card.attr('m', JSON.stringify(m));
    card.find('img').attr('src', m.turl as string);
    const href = card.attr('href');
    if (href) {
      const u = new URL(href, sim.origin);
      if (u.searchParams.has('mediaurl')) u.searchParams.set('mediaurl', m.murl as string);
      card.attr('href', `${u.pathname}${u.search}`);
    }
  });
  text = $.html();
  rewritten.set(key, text);
  return text;
}

export const sim: SimSource = {
  id: 'bing_images',
  handle(req, sim): SimResponse {
    if (req.method !== 'GET' || req.path !== '/images/async') return { status: 404, body: 'not found' };
    const first = Math.max(1, Number.parseInt(req.query.get('first') ?? '1', 10) || 1);
    const count = Math.max(1, Number.parseInt(req.query.get('count') ?? '35', 10) || 35);
    const index = Math.round((first - 1) / count);
    const path = PAGES[index] ?? END;
    return { headers: HTML, body: page(path, sim) };
  },
};
