// Serving a job's saved files over HTTP: the Content-Type to send, Range parsing and
// Content-Disposition. The files themselves are found through the file output
// (docs/ARCHITECTURE.md, "Seams"), which refuses any recorded path that leaves its root.
import { extname } from 'node:path';

const MIME_BY_EXTENSION: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.json': 'application/json',
};

/** The Content-Type to serve: the sniffed MIME the runner recorded, else the extension's, else octet-stream. */
export function contentTypeOf(path: string, recordedMime: string | null | undefined): string {
  if (recordedMime && /^(image|video)\/[A-Za-z0-9.+-]+$/.test(recordedMime)) return recordedMime;
  return MIME_BY_EXTENSION[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * Parses a `Range` header against a file of `size` bytes (RFC 9110 §14.1.2). Only one range is
 * served; a multi-range or malformed header is ignored (null: send the whole file), which the
 * RFC allows.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return null;
  return { start, end };
}

/** `attachment; filename="x.jpg"; filename*=UTF-8''x.jpg`, safe for any name. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
