// The registry of sources: every source, in the order of SOURCE_IDS (the seed's five first).
import type { SourceId } from '../core/types.ts';
import type { Source } from './source.ts';
import { source as googleImages } from './google-images.ts';
import { source as bingImages } from './bing-images.ts';
import { source as yandexImages } from './yandex-images.ts';
import { source as unsplash } from './unsplash.ts';
import { source as pexels } from './pexels.ts';
import { source as duckduckgoImages } from './duckduckgo-images.ts';
import { source as openverse } from './openverse.ts';
import { source as wikimediaCommons } from './wikimedia-commons.ts';
import { source as pixabay } from './pixabay.ts';
import { source as nasaImages } from './nasa-images.ts';

export const SOURCES: readonly Source[] = [
  googleImages,
  bingImages,
  yandexImages,
  unsplash,
  pexels,
  duckduckgoImages,
  openverse,
  wikimediaCommons,
  pixabay,
  nasaImages,
];

const byId = new Map<string, Source>(SOURCES.map((s) => [s.id, s]));

/** The source with this id, or undefined. */
export function getSource(id: string): Source | undefined {
  return byId.get(id);
}

export function isSourceId(id: string): id is SourceId {
  return byId.has(id);
}
