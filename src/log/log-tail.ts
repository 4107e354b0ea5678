// Reading the download log back, for `harvester logs` and GET /api/logs: the last lines (read
// backwards from the end, so a big file is not read whole, across the newest rotated file when the
// current one is short), only what was appended since an earlier read, and following the file as
// it grows. Lines are parsed with the format the writer uses (./download-log.ts).
import { open, stat } from 'node:fs/promises';
import { LOG_LEVELS, type LogLevel, type LogLine, type LogTail } from '../core/log-lines.ts';
import { LOG_LINE_PATTERN, isErrorLine } from './download-log.ts';

export interface TailOptions {
  /** Most lines returned (the newest). */
  lines: number;
  /** Only lines of this level or more severe. */
  minLevel?: LogLevel | undefined;
  /** Only error lines, as `harvester logs --errors` shows them (./download-log.ts, `isErrorLine`). */
  errorsOnly?: boolean | undefined;
  /** Only lines that start after this byte offset. */
  sinceOffset?: number | undefined;
  /** Most bytes read from the end, so a filter that matches nothing cannot read a huge file. */
  maxScanBytes?: number;
}

const CHUNK_BYTES = 64 * 1024;

export function parseLogLine(raw: string): LogLine {
  const m = LOG_LINE_PATTERN.exec(raw);
  if (!m) return { ts: null, level: null, message: raw };
  return { ts: m[1]!, level: m[2] as LogLevel, message: m[3]! };
}

/** The line as it is in the file (the inverse of parseLogLine). */
export function logLineText(line: LogLine): string {
  return line.ts === null ? line.message : `${line.ts} | ${line.level} | ${line.message}`;
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
    (options.errorsOnly !== true || isErrorLine(raw));

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
    // The first chunk is read even when no line is wanted: it tells where the last complete line ends.
    while (position > floor && (first || found.length < options.lines)) {
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

/**
 * Calls `onLine` for every complete line appended to `path` after `fromByte`, until `signal`
 * aborts. A file that shrinks (rotated) is read again from its start; one that does not exist
 * yet is waited for.
 */
export async function followLog(
  path: string,
  fromByte: number,
  onLine: (line: string) => void,
  signal: AbortSignal,
  pollMs = 200,
): Promise<void> {
  let position = fromByte;
  let rest = '';
  while (!signal.aborted) {
    let size = -1;
    try {
      size = (await stat(path)).size;
    } catch {}
    if (size >= 0 && size < position) {
      position = 0;
      rest = '';
    }
    if (size > position) {
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(size - position);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        const lines = (rest + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      } finally {
        await handle.close();
      }
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** The log's size now (0 when it does not exist): where following starts. */
export async function logSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
