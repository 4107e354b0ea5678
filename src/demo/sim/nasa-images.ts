// Simulated NASA Image and Video Library API (fixtures/nasa_images/NOTES.md): GET /search with
// Collection+JSON pages (rel=next links) and GET /asset/{nasa_id} with the recorded file lists.
// Media hrefs move to the simulation with their raw paths (spaces, Unicode) and http://, as
// NASA writes them, so clients must encode them.
import type { SimHelpers, SimRequest, SimResponse, SimSource } from './types.ts';
import { jsonAnswer, pageParam } from './json-media-urls.ts';

type Item = { data: { nasa_id: string; media_type: string }[] } & Record<string, unknown>;

/** images-assets.nasa.gov hrefs, recursively, moved onto the simulation's media route. */
function moveHrefs(value: unknown, sim: SimHelpers): unknown {
  if (typeof value === 'string') {
    const m = /^https?:\/\/images-assets\.nasa\.gov\/(.*)$/.exec(value);
    if (!m) return value;
    // The media route's prefix, taken from the helper rather than hard-coded.
    const prefix = sim.mediaUrl('x', 'image').replace(/x\.png$/, '');
    return `${prefix}${m[1]}`;
  }
  if (Array.isArray(value)) return value.map((v) => moveHrefs(v, sim));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, moveHrefs(v, sim)]));
  }
  return value;
}

function pool(sim: SimHelpers): Item[][] {
  const image = (JSON.parse(sim.fixture('nasa_images/search-image.json')) as { collection: { items: Item[] } })
    .collection.items;
  const video = (JSON.parse(sim.fixture('nasa_images/search-video.json')) as { collection: { items: Item[] } })
    .collection.items;
  return [
    [image[0]!, video[0]!],
    [video[1]!, video[0]!],
  ];
}

function search(req: SimRequest, sim: SimHelpers): SimResponse {
  const types = (req.query.get('media_type') ?? 'image,video,audio').split(',');
  const page = pageParam(req.query);
  const pages = pool(sim).map((items) => items.filter((i) => types.includes(i.data[0]!.media_type)));
  const items = pages[page - 1] ?? [];
  const self = new URLSearchParams(req.query);
  const nextQuery = new URLSearchParams(req.query);
  nextQuery.set('page', String(page + 1));
  const collection: Record<string, unknown> = {
    version: '1.0',
    href: `${sim.origin}/search?${self.toString()}`,
    items,
    metadata: { total_hits: new Set(pages.flat().map((i) => i.data[0]!.nasa_id)).size },
  };
  if (items.length > 0)
    collection.links = [{ rel: 'next', prompt: 'Next', href: `${sim.origin}/search?${nextQuery.toString()}` }];
  return jsonAnswer(moveHrefs({ collection }, sim));
}

const ASSETS: Record<string, string> = {
  'Moon and Saturn': 'nasa_images/asset-video.json',
  'iss026-s-001': 'nasa_images/asset-iss026-s-001.assembled.json',
};

function asset(nasaId: string, sim: SimHelpers): SimResponse {
  const file = ASSETS[nasaId];
  if (!file) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
  return jsonAnswer(moveHrefs(JSON.parse(sim.fixture(file)), sim));
}

export const sim: SimSource = {
  id: 'nasa_images',
  handle(req, helpers) {
    if (req.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
    if (req.path === '/search') return search(req, helpers);
    if (req.path.startsWith('/asset/')) {
      let id: string;
      try {
        id = decodeURIComponent(req.path.slice('/asset/'.length));
      } catch {
        return { status: 400, headers: { 'content-type': 'text/plain' }, body: 'Bad Request' };
      }
      return asset(id, helpers);
    }
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
  },
};
