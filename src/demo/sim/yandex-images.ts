// Simulated Yandex Images: answers GET /images/search?text= like Yandex's current layout, from
// the assembled data-state pages in fixtures/yandex_images/ (no p / p=0 → page 1, p=1 → page 2,
// beyond → a data-state with no entities). Inside each entity, origUrl, viewerData (img_href,
// dups, preview, thumb) and the `image` thumbnail are rewritten to the simulation's media route.
import { load } from 'cheerio';
import type { SimHelpers, SimResponse, SimSource } from './types.ts';

const PAGES: Record<string, string> = {
  '0': 'yandex_images/data-state-page-1.assembled.html',
  '1': 'yandex_images/data-state-page-2.assembled.html',
};
const EMPTY = 'yandex_images/data-state-empty.assembled.html';

type Json = Record<string, unknown>;
const rewritten = new Map<string, string>();

function rewriteEntity(e: Json, sim: SimHelpers): void {
  const name = `yandex-${String(e.id ?? 'item')}`;
  const media = sim.mediaUrl(name, 'image');
  const thumb = sim.mediaUrl(`${name}-thumb`, 'image');
  const original = e.origUrl;
  if (typeof e.origUrl === 'string') e.origUrl = media;
  if (typeof e.image === 'string') e.image = thumb;
  const viewer = e.viewerData as Json | undefined;
  if (!viewer) return;
  if (typeof viewer.img_href === 'string') viewer.img_href = media;
  if (viewer.thumb && typeof viewer.thumb === 'object') (viewer.thumb as Json).url = thumb;
  for (const key of ['dups', 'preview']) {
    const list = viewer[key];
    if (!Array.isArray(list)) continue;
    list.forEach((r: Json, i: number) => {
      r.url = r.url === original ? media : sim.mediaUrl(`${name}-${key}-${i}`, 'image');
    });
  }
}

function page(path: string, sim: SimHelpers): string {
  const key = `${sim.origin} ${path}`;
  let text = rewritten.get(key);
  if (text !== undefined) return text;
  const $ = load(sim.fixture(path));
  $('[data-state]').each((_, el) => {
    const state = JSON.parse($(el).attr('data-state') ?? '{}') as Json;
    const entities = (
      ((state.initialState as Json | undefined)?.serpList as Json | undefined)?.items as Json | undefined
    )?.entities as Record<string, Json> | undefined;
    for (const entity of Object.values(entities ?? {})) rewriteEntity(entity, sim);
    $(el).attr('data-state', JSON.stringify(state));
  });
  text = $.html();
  rewritten.set(key, text);
  return text;
}

export const sim: SimSource = {
  id: 'yandex_images',
  handle(req, sim): SimResponse {
    if (req.method !== 'GET' || req.path !== '/images/search' || !req.query.get('text'))
      return { status: 404, body: 'not found' };
    const path = PAGES[req.query.get('p') ?? '0'] ?? EMPTY;
    return { headers: { 'content-type': 'text/html; charset=utf-8' }, body: page(path, sim) };
  },
};
