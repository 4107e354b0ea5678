// Simulated NASA Image and Video Library API (fixtures/nasa_images/NOTES.md): GET /search with
// Collection+JSON pages (rel=next links) and GET /asset/{nasa_id} with the recorded file lists.
// Media hrefs move to the simulation with their raw paths (spaces, Unicode) and http://, as
// NASA writes them, so clients must encode them. With generated answers, an image search finds
// `generated.perQuery` copies of the recorded image item (each with its own nasa_id and files, all
// listed in its links, so no asset list is needed), paged by page_size.
import type { SimHelpers, SimRequest, SimResponse, SimSource } from './types.ts';
import { pageRange, pictureHelpers, templateFor, withId } from './generated.ts';
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

/** The search's Collection+JSON answer: `items`, a `next` link while `more`, `total` hits. */
function collectionAnswer(req: SimRequest, sim: SimHelpers, page: number, items: Item[], more: boolean, total: number) {
  const self = new URLSearchParams(req.query);
  const nextQuery = new URLSearchParams(req.query);
  nextQuery.set('page', String(page + 1));
  const collection: Record<string, unknown> = {
    version: '1.0',
    href: `${sim.origin}/search?${self.toString()}`,
    items,
    metadata: { total_hits: total },
  };
  if (more) collection.links = [{ rel: 'next', prompt: 'Next', href: `${sim.origin}/search?${nextQuery.toString()}` }];
  return jsonAnswer(moveHrefs({ collection }, sim));
}

/** A page of generated image items (none for a search without images), by page_size. */
function generatedSearch(req: SimRequest, sim: SimHelpers, page: number, images: boolean): SimResponse {
  const total = images ? sim.generated!.perQuery : 0;
  const query = req.query.get('q') ?? '';
  const pageSize = Math.min(100, Math.max(1, Number.parseInt(req.query.get('page_size') ?? '100', 10) || 100));
  const templates = (JSON.parse(sim.fixture('nasa_images/search-image.json')) as { collection: { items: Item[] } })
    .collection.items;
  const { from, to } = pageRange(total, page, pageSize);
  const items: Item[] = [];
  for (let n = from; n < to; n++) {
    const { item, id } = templateFor(templates, query, n, sim);
    const copy = withId(item, item.data[0]!.nasa_id, `generated-${id}`);
    // Each item's files on its own media names (moveHrefs below would give them the shared prefix).
    items.push(moveHrefs(copy, pictureHelpers(sim, id)) as Item);
  }
  return collectionAnswer(req, sim, page, items, to < total, total);
}

function search(req: SimRequest, sim: SimHelpers): SimResponse {
  const types = (req.query.get('media_type') ?? 'image,video,audio').split(',');
  const page = pageParam(req.query);
  if (sim.generated) return generatedSearch(req, sim, page, types.includes('image'));
  const pages = pool(sim).map((items) => items.filter((i) => types.includes(i.data[0]!.media_type)));
  const items = pages[page - 1] ?? [];
  const total = new Set(pages.flat().map((i) => i.data[0]!.nasa_id)).size;
  return collectionAnswer(req, sim, page, items, items.length > 0, total);
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
  generates: true,
};
