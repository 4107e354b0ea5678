// The download log: LOG_DIR/download_errors.log in the seed's format,
// `2025-10-02 14:30:00,123 | INFO | MESSAGE`, one event a line, rotated by size. It is driven
// by runner events only (one subscriber), so the CLI and the server write the same lines.
// Appends never block the runner: lines are buffered and written in batches, and flushed
// synchronously when a job ends and when the process exits.
import { basename, join } from 'node:path';
import { escapeControlChars } from '../core/control-chars.ts';
import type { RunnerEvent } from '../core/events.ts';
import type { LogLevel } from '../core/log-lines.ts';
import type { JobResults, SourceStats } from '../core/types.ts';
import { RotatingFile } from './rotating-file.ts';

export const DOWNLOAD_LOG_FILE = 'download_errors.log';

/** One log line: timestamp (local time, comma before the milliseconds), level, message. */
export const LOG_LINE_PATTERN =
  /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) \| (DEBUG|INFO|WARNING|ERROR|CRITICAL) \| (.+)$/;

/** Lines `harvester logs --errors` keeps. */
export function isErrorLine(line: string): boolean {
  const m = LOG_LINE_PATTERN.exec(line);
  if (m === null) return false;
  return m[2] === 'ERROR' || m[2] === 'CRITICAL' || /(^|\| )(FAILED|TIMEOUT) \|/.test(m[3]!);
}

/** `2025-10-02 14:30:00,123` in local time, as Python's logging formats `%(asctime)s`. */
export function formatTimestamp(date: Date): string {
  const p = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())},${p(date.getMilliseconds(), 3)}`
  );
}

export function formatLogLine(level: LogLevel, message: string, date: Date = new Date()): string {
  // One event a line, whatever a query or an error message contains: no control character or
  // Unicode line separator reaches the file raw, so no reader can be shown a forged line.
  return `${formatTimestamp(date)} | ${level} | ${escapeControlChars(message)}\n`;
}

/** `['google_images', 'bing_images']`, as Python prints a list of strings. */
export function pythonListRepr(items: readonly string[]): string {
  return `[${items.map((s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

/** Seconds with two decimals, as the seed writes `Time: 1.23s`. */
function secs(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** The log lines one runner event produces (most events produce none). */
export function logLinesFor(event: RunnerEvent): [LogLevel, string][] {
  switch (event.type) {
    case 'job_started':
      return [
        [
          'INFO',
          `=== JOB START === | Job ID: ${event.job_id} | Query: ${event.query} | Sources: ${pythonListRepr(event.sources)}`,
        ],
      ];
    case 'file_saved':
      return [
        [
          'INFO',
          `SUCCESS: ${event.source} | File: ${basename(event.file.path)} | Size: ${event.file.bytes} bytes | Time: ${secs(event.file.duration_ms)}s`,
        ],
      ];
    case 'file_failed':
      return [['ERROR', `FAILED | ${event.source} | ${event.error} | URL: ${event.url}`]];
    case 'retry':
      return [
        [
          'WARNING',
          `RETRY | ${event.source} | ${event.phase} attempt ${event.attempt} in ${secs(event.delay_ms)}s after ${event.error} | URL: ${event.url}`,
        ],
      ];
    case 'source_finished': {
      const [level, line] = sourceLine(event.source, event.stats);
      // A job of several queries runs each source once per query: say which run ended.
      return [
        [
          level,
          event.query !== undefined && event.query !== ''
            ? line.replace(`| ${event.source} |`, `| ${event.source} | Query: ${event.query} |`)
            : line,
        ],
      ];
    }
    case 'job_finished': {
      const r = event.job.results;
      const lines: [LogLevel, string][] = [];
      if (event.status === 'cancelled' || event.status === 'interrupted') {
        lines.push(['WARNING', `JOB ${event.status.toUpperCase()} | Job ID: ${event.job_id}`]);
      }
      lines.push([
        'INFO',
        `=== JOB COMPLETE === | Downloaded: ${r.downloaded} | Images: ${r.images} | Videos: ${r.videos}`,
      ]);
      if ((r.filtered ?? 0) > 0 || (r.near_duplicates ?? 0) > 0) lines.push(['INFO', `REMOVED | ${removedText(r)}`]);
      // Both lists are always written; an empty one reads `none`, so the line parses the same way.
      lines.push([
        'INFO',
        `STATISTICS | Success: ${r.successful_sources.join(', ') || 'none'} | Failed: ${r.failed_sources.join(', ') || 'none'}`,
      ]);
      return lines;
    }
    default:
      return [];
  }
}

/** `Filtered: 3 (min_width 2, license 1) | Near-duplicates: 1`: what the filters and de-duplication removed. */
export function removedText(r: Pick<JobResults, 'filtered' | 'filtered_reasons' | 'near_duplicates'>): string {
  const reasons = Object.entries(r.filtered_reasons ?? {})
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return `Filtered: ${r.filtered ?? 0}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''} | Near-duplicates: ${r.near_duplicates ?? 0}`;
}

/** How a source ended: COMPLETED only when it ran to its own end (the seed's hang detector). */
function sourceLine(source: string, stats: SourceStats): [LogLevel, string] {
  if (stats.status === 'skipped') return ['WARNING', `FAILED | ${source} | skipped: ${stats.error ?? 'not run'}`];
  if (stats.error_code === 'timeout') return ['ERROR', `TIMEOUT | ${source} | ${stats.error}`];
  if (stats.error_code === 'cancelled') return ['WARNING', `CANCELLED | ${source} | ${stats.error}`];
  if (stats.error !== null) return ['ERROR', `FAILED | ${source} | ${stats.error}`];
  return [
    'INFO',
    `COMPLETED | ${source} | Downloaded: ${stats.downloaded} | Found: ${stats.found} | Failed: ${stats.failed_downloads} | ` +
      `Duplicates: ${stats.skipped_duplicates} | Existing: ${stats.skipped_existing} | Time: ${secs(stats.duration_ms)}s`,
  ];
}

export interface DownloadLogOptions {
  logDir: string;
  /** Size at which the file rotates, bytes (LOG_MAX_BYTES). */
  maxBytes: number;
  /** Rotated files kept (LOG_BACKUPS). */
  backups: number;
  /** How long lines may wait in memory before a batched write, ms (default 200). */
  flushDelayMs?: number;
}

export interface DownloadLog {
  readonly path: string;
  /** The runner-event subscriber. */
  onEvent(event: RunnerEvent): void;
  /** Writes a line that is not a runner event (an `onSaved` failure, a manifest that could not be written). */
  write(level: LogLevel, message: string): void;
  /** Writes every buffered line now. */
  flush(): void;
  close(): void;
}

// A line still in memory when the process leaves would be lost: one exit hook flushes every open log.
const openLogs = new Set<() => void>();
function flushAllOnExit(): void {
  for (const flush of openLogs) flush();
}

export function openDownloadLog(options: DownloadLogOptions): DownloadLog {
  const path = join(options.logDir, DOWNLOAD_LOG_FILE);
  const file = new RotatingFile(path, { maxBytes: options.maxBytes, backups: options.backups });
  const flushDelayMs = options.flushDelayMs ?? 200;
  let pending: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    // Line by line so that rotation happens on a line boundary.
    for (const line of lines) file.append(line);
  };
  if (openLogs.size === 0) process.on('exit', flushAllOnExit);
  openLogs.add(flush);

  const write = (level: LogLevel, message: string): void => {
    if (closed) return;
    pending.push(formatLogLine(level, message));
    if (timer === null) {
      timer = setTimeout(flush, flushDelayMs);
      // The exit hook covers a process that ends before the timer fires.
      timer.unref();
    }
  };

  return {
    path,
    onEvent(event) {
      for (const [level, message] of logLinesFor(event)) write(level, message);
      if (event.type === 'job_finished') flush();
    },
    write,
    flush,
    close() {
      if (closed) return;
      flush();
      closed = true;
      openLogs.delete(flush);
      if (openLogs.size === 0) process.off('exit', flushAllOnExit);
      file.close();
    },
  };
}
