// Image sizes written as text by HTML result pages. Bing shows them under each card, in two
// forms seen on the wire: the current "1920×1080 · jpeg" (U+00D7, U+00B7) and the older
// "3442 x 2972 · png" (see fixtures/bing_images/NOTES.md).

/** Largest pixel dimension believed; bigger numbers are junk, not images. */
export const MAX_DIMENSION = 100_000;

export interface SizeText {
  width: number;
  height: number;
  /** The format word after the separator ("jpeg", "png"), lower case, if any. */
  format?: string;
}

const SIZE = /(\d{1,6})\s*[x×X]\s*(\d{1,6})(?:\s*[·•|-]\s*([A-Za-z0-9]{2,8}))?/u;

/** "1920×1080 · jpeg" or "3442 x 2972 · png" → { width, height, format }, else undefined. */
export function parseSizeText(text: unknown): SizeText | undefined {
  if (typeof text !== 'string') return undefined;
  const m = SIZE.exec(text.slice(0, 200));
  if (!m) return undefined;
  const width = dimension(m[1]);
  const height = dimension(m[2]);
  if (width === undefined || height === undefined) return undefined;
  return m[3] ? { width, height, format: m[3].toLowerCase() } : { width, height };
}

/** A pixel dimension from a number or a digits-only string: 1…MAX_DIMENSION, else undefined. */
export function dimension(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d{1,7}\s*$/.test(value)) n = Number(value);
  else return undefined;
  return Number.isInteger(n) && n > 0 && n <= MAX_DIMENSION ? n : undefined;
}
