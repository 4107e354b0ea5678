// Placeholder until the adapter lands; replaced by its owner.
import { ParseError } from '../core/errors.ts';
import type { Source } from './source.ts';

export const source: Source = {
  id: 'nasa_images',
  displayName: 'nasa_images',
  kinds: ['image'],
  example: 'nature',
  defaultOrigin: () => 'https://example.invalid',
  configured: () => ({ ok: true }),
  // eslint-disable-next-line require-yield
  async *search() {
    throw new ParseError('nasa_images', 'adapter not implemented yet');
  },
};
