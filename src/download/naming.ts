// File and folder names (issue 2 §4): `DOWNLOAD_DIR/<query-slug>/<source>/<query-slug>_<NNN>.<ext>`.
// Nothing a source returns (URL, title, Content-Disposition) is ever used as a path: names are
// built only from the slug, a counter and a sniffed extension, and every join is checked to
// stay inside its root.
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { HarvesterError } from '../core/errors.ts';

/** A path that would leave its root, or a name that is not a plain file name. */
export class UnsafePathError extends HarvesterError {
  override readonly code = 'UNSAFE_PATH';
}

/** Longest slug, characters (leaves room for `_NNN.ext` within any file system's 255). */
export const MAX_SLUG_LENGTH = 64;

// Names Windows refuses whatever the extension; harmless elsewhere, so refused everywhere.
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/;

/**
 * The folder and file-name stem for a query: lower case ASCII letters, digits and single
 * hyphens, at most MAX_SLUG_LENGTH characters. Accents are folded ("Café" → "cafe"); a query
 * with no Latin letters or digits at all ("猫") gets `q-<hash>` so it is never empty and two
 * such queries do not share a folder. Never `.`, `..` or a reserved device name.
 */
export function querySlug(query: string): string {
  const folded = query
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  let slug = folded.slice(0, MAX_SLUG_LENGTH).replace(/-+$/, '');
  if (slug === '') slug = `q-${createHash('sha256').update(query).digest('hex').slice(0, 10)}`;
  if (RESERVED.test(slug)) slug = `q-${slug}`;
  return slug;
}

const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const EXT_PATTERN = /^[a-z0-9]{1,10}$/;

/** `<slug>_<NNN>.<ext>`: n zero-padded to three digits (`cats_007.jpg`), more digits past 999. */
export function mediaFileName(slug: string, n: number, ext: string): string {
  if (!SLUG_PATTERN.test(slug) || slug.length > MAX_SLUG_LENGTH + 2 + 10) {
    throw new UnsafePathError(`not a slug: ${JSON.stringify(slug)} (use querySlug)`);
  }
  if (!Number.isSafeInteger(n) || n < 0) throw new UnsafePathError(`file number must be a non-negative integer, got ${n}`);
  if (!EXT_PATTERN.test(ext)) throw new UnsafePathError(`not a file extension: ${JSON.stringify(ext)}`);
  return `${slug}_${String(n).padStart(3, '0')}.${ext}`;
}

/** Throws unless `name` is one plain file or folder name (no separators, not `.`/`..`, no NUL). */
export function assertPlainName(name: string): void {
  if (
    typeof name !== 'string' ||
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.length > 255 ||
    /[/\\\0]/.test(name)
  ) {
    throw new UnsafePathError(`not a plain file name: ${JSON.stringify(String(name).slice(0, 100))}`);
  }
}

/**
 * `root` joined with `segments`, resolved; throws UnsafePathError unless the result is `root`
 * itself or inside it (`..`, absolute segments and NUL bytes cannot escape).
 */
export function safeJoin(root: string, ...segments: string[]): string {
  const base = resolve(root);
  for (const segment of segments) {
    if (typeof segment !== 'string' || segment.includes('\0')) {
      throw new UnsafePathError(`unsafe path segment: ${JSON.stringify(String(segment).slice(0, 100))}`);
    }
  }
  const joined = resolve(base, ...segments);
  const rel = relative(base, joined);
  if (rel === '') return joined;
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UnsafePathError(`path escapes ${base}: ${JSON.stringify(segments.join('/').slice(0, 200))}`);
  }
  return joined;
}
