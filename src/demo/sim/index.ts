// Every simulated source, in the order of the registry.
import type { SimSource } from './types.ts';
import { sim as googleImages } from './google-images.ts';
import { sim as bingImages } from './bing-images.ts';
import { sim as yandexImages } from './yandex-images.ts';
import { sim as unsplash } from './unsplash.ts';
import { sim as pexels } from './pexels.ts';
import { sim as duckduckgoImages } from './duckduckgo-images.ts';
import { sim as openverse } from './openverse.ts';
import { sim as wikimediaCommons } from './wikimedia-commons.ts';
import { sim as pixabay } from './pixabay.ts';
import { sim as nasaImages } from './nasa-images.ts';

export const SIM_SOURCES: readonly SimSource[] = [
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
