// Placeholder until the simulation of this source lands; replaced by its owner.
import type { SimSource } from './types.ts';

export const sim: SimSource = {
  id: 'google_images',
  handle: () => ({ status: 404, body: 'not simulated yet' }),
};
