// Reading the end of the download log for GET /api/logs without reading the whole
// file: chunks are read backwards from the end until enough matching lines are found or a
// byte budget is spent. `sinceOffset` lets a follower ask only for what was appended.
import { open } from 'node:fs/promises';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogLine {
  /** `2025-10-02 14:30:00,123` as written (local time), or null for a line not in the format. */
  ts: string | null;
  level: LogLevel | null;
  message: string;
}

export interface LogTail {
  lines: LogLine[];
  /** Size of the file when read: pass it back as `sinceOffset` to get only newer lines. */
  size: number;
  /** True when `sinceOffset` was past the end (the file rotated): `lines` is a fresh tail. */
  reset: boolean;
}

export interface TailOptions {
  /** Most lines returned (the newest). */
  lines: number;
  /** Only lines of this level or more severe. */
  minLevel?: LogLevel;
  /** Only lines this accepts (given the raw text too). */
  filter?: (line: LogLine, raw: string) => boolean;
  /** Only lines that start after this byte offset. */
  sinceOffset?: number;
  /** Most bytes read from the end, so a filter that matches nothing cannot read a huge file. */
  maxScanBytes?: number;
}

const LINE = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) \| (DEBUG|INFO|WARNING|ERROR|CRITICAL) \| (.*)$/;
const CHUNK_BYTES = 64 * 1024;

export function parseLogLine(raw: string): LogLine {
  const m = LINE.exec(raw);
  if (!m) return { ts: null, level: null, message: raw };
  return { ts: m[1]!, level: m[2] as LogLevel, message: m[3]! };
}

function severity(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

/**
 * The last lines of the log at `path`; when the current file has fewer than asked (it has just
 * rotated) and no offset is given, the newest rotated file (`<path>.1`) supplies the rest.
 */
export async function tailLog(path: string, options: TailOptions): Promise<LogTail> {
  const current = await tailFile(path, options);
  if (options.sinceOffset !== undefined || current.lines.length >= options.lines) return current;
  const older = await tailFile(`${path}.1`, { ...options, lines: options.lines - current.lines.length });
  return { ...current, lines: [...older.lines, ...current.lines] };
}

async function tailFile(path: string, options: TailOptions): Promise<LogTail> {
  const maxScan = options.maxScanBytes ?? 16 * 1024 * 1024;
  const minSeverity = options.minLevel ? severity(options.minLevel) : -1;
  const keep = (line: LogLine, raw: string): boolean =>
    (minSeverity < 0 || (line.level !== null && severity(line.level) >= minSeverity)) &&
    (options.filter?.(line, raw) ?? true);

  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], size: 0, reset: false };
    throw error;
  }
  try {
    const fileSize = (await handle.stat()).size;
    let reset = false;
    let floor = 0;
    if (options.sinceOffset !== undefined) {
      if (options.sinceOffset > fileSize) reset = true;
      else floor = options.sinceOffset;
    }
    // The scan budget may start us mid-line; a since-offset or the file start never does.
    const floorIsLineStart = floor >= fileSize - maxScan;
    floor = Math.max(floor, fileSize - maxScan);
    const found: LogLine[] = [];
    let position = fileSize;
    let size = fileSize;
    let first = true;
    // Bytes of a line cut by a chunk boundary, carried into the next (earlier) read.
    let carry = Buffer.alloc(0);
    while (position > floor && found.length < options.lines) {
      const length = Math.min(CHUNK_BYTES, position - floor);
      position -= length;
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, position);
      let data = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
      if (first) {
        // A last line still being written is left for the next read: report the size up to it.
        const lastNewline = data.lastIndexOf(0x0a);
        if (lastNewline < 0 && position > floor) {
          carry = data;
          continue;
        }
        first = false;
        size = position + lastNewline + 1;
        data = data.subarray(0, lastNewline + 1);
      }
      if (position > floor || !floorIsLineStart) {
        // Everything before the first newline may be the end of an earlier line: keep it for later.
        const cut = data.indexOf(0x0a);
        if (cut < 0) {
          carry = data;
          continue;
        }
        carry = data.subarray(0, cut);
        data = data.subarray(cut + 1);
      } else {
        carry = Buffer.alloc(0);
      }
      const texts = data.toString('utf8').split('\n');
      for (let i = texts.length - 1; i >= 0 && found.length < options.lines; i--) {
        const text = texts[i]!.replace(/\r$/, '');
        if (text === '') continue;
        const line = parseLogLine(text);
        if (keep(line, text)) found.push(line);
      }
    }
    if (first) size = floor; // nothing complete was read
    return { lines: found.reverse(), size: Math.max(size, reset ? 0 : (options.sinceOffset ?? 0)), reset };
  } finally {
    await handle.close();
  }
}
