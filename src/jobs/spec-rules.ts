// The bounds of a job spec (DESIGN §6), in a module with no dependencies so that the CLI can
// check flags before it loads the engine.
import type { MediaType } from '../core/types.ts';

export const MAX_QUERY_LENGTH = 200;
export const MIN_LIMIT = 1;
export const MAX_LIMIT = 500;
/** Files per source when a spec names no limit. */
export const DEFAULT_LIMIT = 10;
export const MEDIA_TYPES: readonly MediaType[] = ['image', 'video', 'any'];
