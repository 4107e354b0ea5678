// File and folder names: `DOWNLOAD_DIR/<query-slug>/<source>/<query-slug>_<NNN>.<ext>`.
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

/**
 * Longest slug, in UTF-8 bytes. File names are `<slug>_<NNN>.<ext>` and most file systems allow
 * 255 bytes (APFS, ext4) or 255 UTF-16 units (NTFS, HFS+, which also stores names decomposed, so
 * a Hangul syllable may grow to three jamo): 100 bytes leaves room for all of that.
 */
export const MAX_SLUG_BYTES = 100;

// Names Windows refuses whatever follows them (superscript digits count as digits there too);
// harmless elsewhere, so refused everywhere.
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/u;
// What a slug keeps: letters, combining marks and digits of every script, and the zero-width
// (non-)joiners that some scripts need inside a word (Persian, Indic). Everything else —
// spaces, punctuation, path and drive separators, controls, bidi overrides, emoji — separates words.
const NOT_KEPT = /[^\p{L}\p{M}\p{N}\u200c\u200d]+/gu;
// A slug starts and ends with a letter or digit (no leading mark or joiner, no trailing hyphen).
// eslint-disable-next-line no-misleading-character-class -- ZWNJ and ZWJ are meant as single characters here
const EDGE_JUNK = /^[\p{M}\u200c\u200d-]+|[\u200c\u200d-]+$/gu;
// eslint-disable-next-line no-misleading-character-class -- as above
const SLUG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}\u200c\u200d-]*$/u;
// Made on the first query long enough to cut: loading ICU's segmenter costs some 15 ms, which
// every command would otherwise pay at start-up.
let graphemes: Intl.Segmenter | undefined;
const utf8 = new TextEncoder();

/** `text` cut to at most `maxBytes` UTF-8 bytes at a grapheme boundary (no character or cluster split). */
function capBytes(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(text)) {
    const size = utf8.encode(segment).length;
    if (bytes + size > maxBytes) break;
    out += segment;
    bytes += size;
  }
  return out;
}

/**
 * The folder and file-name stem for a query, readable in its own script: NFC, lower-cased
 * where the script has case, letters and digits of any script kept, every run of anything else
 * one hyphen, at most MAX_SLUG_BYTES UTF-8 bytes without splitting a character
 * (`Котик` → `котик`, `铁路` → `铁路`, `Café au lait!` → `café-au-lait`). Only a query with
 * nothing readable left (`🐱`, `...`) gets `q-<hash>`, so it is never empty and two such
 * queries do not share a folder. Never `.`, `..`, a name ending in a dot or space, or a
 * reserved device name (`CON` → `q-con`).
 */
export function querySlug(query: string): string {
  const words = query.normalize('NFC').toLowerCase().normalize('NFC').replace(NOT_KEPT, '-').replace(EDGE_JUNK, '');
  let slug = capBytes(words, MAX_SLUG_BYTES).replace(EDGE_JUNK, '');
  if (slug === '') slug = `q-${createHash('sha256').update(query).digest('hex').slice(0, 10)}`;
  if (RESERVED.test(slug)) slug = `q-${slug}`;
  return slug;
}

/** Whether `name` is something querySlug can return (the shape file-name checks accept). */
export function isQuerySlug(name: string): boolean {
  return SLUG_PATTERN.test(name) && utf8.encode(name).length <= MAX_SLUG_BYTES + 2 && !RESERVED.test(name);
}

const EXT_PATTERN = /^[a-z0-9]{1,10}$/;

/** `<slug>_<NNN>.<ext>`: n zero-padded to three digits (`cats_007.jpg`), more digits past 999. */
export function mediaFileName(slug: string, n: number, ext: string): string {
  if (!isQuerySlug(slug)) {
    throw new UnsafePathError(`not a slug: ${JSON.stringify(slug)} (use querySlug)`);
  }
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UnsafePathError(`file number must be a non-negative integer, got ${n}`);
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
