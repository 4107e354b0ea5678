// What a file really is, from its first bytes (magic numbers via file-type), never only from
// Content-Type: an HTML error page served as image/jpeg is refused, and the extension comes
// from what was found. SVG is refused on purpose: it is XML text that can carry scripts, and
// it cannot be told apart from any other XML/HTML page by magic bytes.
import { imageSize } from 'image-size';
import { ContentError } from '../core/errors.ts';
import type { MediaKind } from '../core/types.ts';

/** Bytes file-type needs to recognise every format we accept. */
export const SNIFF_BYTES = 4100;
/** Bytes kept for image-size: a JPEG's size marker can sit after a large EXIF block. */
export const HEAD_BYTES = 128 * 1024;

/** Accepted formats: file-type's extension → the extension we save under. */
const IMAGE_TYPES = new Map<string, string>([
  ['jpg', 'jpg'],
  ['png', 'png'],
  ['apng', 'png'],
  ['gif', 'gif'],
  ['webp', 'webp'],
  ['avif', 'avif'],
  ['bmp', 'bmp'],
  ['tif', 'tif'],
  ['heic', 'heic'],
  ['jxl', 'jxl'],
]);
const VIDEO_TYPES = new Map<string, string>([
  ['mp4', 'mp4'],
  ['m4v', 'm4v'],
  ['webm', 'webm'],
  ['mov', 'mov'],
  ['mkv', 'mkv'],
  ['avi', 'avi'],
  ['3gp', '3gp'],
  ['3g2', '3g2'],
  ['mpg', 'mpg'],
  ['ogv', 'ogv'],
  ['flv', 'flv'],
  ['mts', 'mts'],
]);

export interface SniffedMedia {
  ext: string;
  mime: string;
  kind: MediaKind;
}

/** A short human description of bytes that are not media (for the error message). */
function describe(head: Buffer): string {
  const text = head
    .subarray(0, 512)
    .toString('latin1')
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || /<(head|body|title)[\s>]/.test(text))
    return 'an HTML page';
  if (text.includes('<svg')) return 'an SVG image (SVG is not accepted)';
  if (text.startsWith('<?xml') || text.startsWith('<')) return 'an XML document';
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON';
  if (head.length > 0 && !head.subarray(0, 512).some((b) => b < 9 || (b > 13 && b < 32))) return 'text';
  return 'unrecognised bytes';
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The four formats that make up nearly every image download, recognised from their exact
 * magic bytes without file-type's general machinery (a tokenizer and dozens of checks per
 * file); anything else goes to file-type.
 */
function quickSniff(head: Buffer): { ext: string; mime: string } | null {
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return { ext: 'png', mime: 'image/png' };
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff)
    return { ext: 'jpg', mime: 'image/jpeg' };
  if (head.length >= 6 && head.toString('latin1', 0, 6).match(/^GIF8[79]a$/)) return { ext: 'gif', mime: 'image/gif' };
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP')
    return { ext: 'webp', mime: 'image/webp' };
  return null;
}

/**
 * Identifies `head` (the first bytes of a body) as an accepted image or video; throws
 * ContentError naming what it looks like instead, and what the server claimed.
 */
export async function sniffMedia(
  head: Buffer,
  claimedType: string | undefined,
  expected?: MediaKind,
): Promise<SniffedMedia> {
  const claimed = claimedType ? ` (served as ${claimedType.split(';')[0]!.trim()})` : '';
  if (head.length === 0) throw new ContentError(`empty body${claimed}`);
  const found = quickSniff(head) ?? (await fileTypeOf(head));
  const imageExt = found ? IMAGE_TYPES.get(found.ext) : undefined;
  const videoExt = found ? VIDEO_TYPES.get(found.ext) : undefined;
  if (!found || (!imageExt && !videoExt)) {
    // file-type calls any XML "xml"; say whether it is an HTML page or an SVG.
    const what = found && found.ext !== 'xml' ? `a ${found.ext} file (${found.mime})` : describe(head);
    throw new ContentError(`not an image or video: ${what}${claimed}`);
  }
  const kind: MediaKind = imageExt ? 'image' : 'video';
  if (expected && kind !== expected) {
    throw new ContentError(`expected ${expected === 'image' ? 'an image' : 'a video'}, got ${found.mime}${claimed}`);
  }
  return { ext: (imageExt ?? videoExt)!, mime: found.mime, kind };
}

/** Width and height of an image from its head bytes, or nulls when unknown (or a video). */
export function mediaDimensions(head: Buffer, kind: MediaKind): { width: number | null; height: number | null } {
  if (kind !== 'image') return { width: null, height: null };
  try {
    const size = imageSize(head);
    const width = size.width ?? null;
    const height = size.height ?? null;
    return width && height ? { width, height } : { width: null, height: null };
  } catch {
    return { width: null, height: null };
  }
}

// file-type holds signatures for hundreds of formats (~11 MB once loaded); the quick sniff above
// answers for the common images, so it is loaded only for the first file it cannot name.
let fileTypeFromBuffer: (typeof import('file-type'))['fileTypeFromBuffer'] | undefined;
async function fileTypeOf(head: Buffer): ReturnType<(typeof import('file-type'))['fileTypeFromBuffer']> {
  fileTypeFromBuffer ??= (await import('file-type')).fileTypeFromBuffer;
  return fileTypeFromBuffer(head);
}
