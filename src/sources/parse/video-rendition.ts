// Choosing one video file among a service's renditions under MAX_VIDEO_RESOLUTION. The cap is
// measured on the SHORTER side: a 1080×1920 portrait file is 1080p, so a cap of
// 1080 takes it and a cap of 720 takes the 720×1280 file instead.

export interface Rendition {
  url: string;
  width?: number;
  height?: number;
  mime?: string;
  bytes?: number;
}

/** The shorter side of a rendition, when both sides are known. */
export function shortSide(r: Rendition): number | undefined {
  return r.width !== undefined && r.height !== undefined ? Math.min(r.width, r.height) : undefined;
}

/** Whether the rendition is an MP4 file (by its MIME type or its path). */
export function isMp4(r: Rendition): boolean {
  if (r.mime !== undefined) return r.mime.toLowerCase() === 'video/mp4';
  try {
    return new URL(r.url).pathname.toLowerCase().endsWith('.mp4');
  } catch {
    return false;
  }
}

/**
 * The best rendition whose shorter side is at most `maxShortSide`: MP4 when any MP4 fits
 * (it plays everywhere and the downloader can sniff it), then the largest shorter side, then
 * the largest area, then the largest file. Renditions without dimensions are taken only when
 * no rendition has any (then the first MP4, else the first); when every sized rendition is
 * above the cap there is no choice — the cap is a limit, not a preference.
 */
export function pickRendition<T extends Rendition>(renditions: readonly T[], maxShortSide: number): T | undefined {
  const sized = renditions.filter((r) => shortSide(r) !== undefined);
  if (sized.length === 0) return renditions.find(isMp4) ?? renditions[0];
  const fits = sized.filter((r) => shortSide(r)! <= maxShortSide);
  if (fits.length === 0) return undefined;
  const pool = fits.some(isMp4) ? fits.filter(isMp4) : fits;
  let best = pool[0]!;
  for (const r of pool.slice(1)) if (compare(r, best) > 0) best = r;
  return best;
}

function compare(a: Rendition, b: Rendition): number {
  return (
    shortSide(a)! - shortSide(b)! || a.width! * a.height! - b.width! * b.height! || (a.bytes ?? 0) - (b.bytes ?? 0)
  );
}
