// Placeholder until the adapter lands; replaced by its owner.
import { ParseError } from '../core/errors.ts';
import type { Source } from './source.ts';

export const source: Source = {
  id: 'wikimedia_commons',
  displayName: 'wikimedia_commons',
  kinds: ['image'],
  example: 'nature',
  defaultOrigin: () => 'https://example.invalid',
  configured: () => ({ ok: true }),
  // eslint-disable-next-line require-yield
  async *search() {
    throw new ParseError('wikimedia_commons', 'adapter not implemented yet');
  },
};
