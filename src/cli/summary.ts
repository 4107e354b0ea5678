// The summary a job-running command writes at the end (on stderr): the job's outcome and one
// row per source — status, downloaded, images, videos, failed, time, error — and what the filters
// and the near-duplicate removal took away, in all and per source.
import { relative } from 'node:path';
import type { JobDocument } from '../core/types.ts';
import { URLS_SOURCE } from '../core/types.ts';
import { removedText } from '../log/download-log.ts';
import { formatBytes, formatDuration, formatTable } from './format.ts';
import type { StatusPainter } from './terminal.ts';

/** Queries listed one by one in the summary; the rest are in the job document. */
const MAX_QUERY_ROWS = 20;

export function formatSummary(
  doc: JobDocument,
  options: { downloadDir: string; logPath: string; cwd: string; paint?: StatusPainter },
): string {
  const paint = options.paint ?? ((status: string) => status);
  const r = doc.results;
  const rows = doc.sources.map((name) => {
    const s = r.source_stats[name];
    if (s === undefined) return [name, 'pending', '0', '0', '0', '0', '-', ''];
    return [
      name,
      s.status,
      String(s.downloaded),
      String(s.images),
      String(s.videos),
      String(s.failed_downloads),
      s.status === 'skipped' ? '-' : formatDuration(s.duration_ms),
      s.error ?? '',
    ];
  });
  // A document that lists only its first files (files_total) has its bytes in the sources' stats.
  const bytes =
    r.files_total === undefined
      ? r.files.reduce((sum, f) => sum + f.bytes, 0)
      : Object.values(r.source_stats).reduce((sum, s) => sum + s.bytes, 0);
  const where = relative(options.cwd, options.downloadDir) || '.';
  const queries = doc.queries ?? [doc.query];
  let perQuery = '';
  if (queries.length > 1) {
    const shown = queries.slice(0, MAX_QUERY_ROWS).map((q) => {
      const s = r.query_stats?.[q];
      return [
        q,
        String(s?.downloaded ?? 0),
        String(s?.filtered ?? 0),
        String(s?.near_duplicates ?? 0),
        (s?.failed_sources ?? []).join(', '),
      ];
    });
    perQuery =
      `\n${formatTable(['query', 'downloaded', 'filtered', 'near-dup', 'failed sources'], shown)}\n` +
      (queries.length > MAX_QUERY_ROWS
        ? `… and ${queries.length - MAX_QUERY_ROWS} more queries (results.query_stats in --json)\n`
        : '');
  }
  const removed = removedSummary(doc);
  return (
    perQuery +
    `\n${formatTable(['source', 'status', 'downloaded', 'images', 'videos', 'failed', 'time', 'error'], rows, (cell, column) => (column === 1 ? paint(cell) : cell))}\n` +
    `Job ${doc.job_id} ${paint(doc.status)}` +
    (doc.duration_ms !== null ? ` in ${formatDuration(doc.duration_ms)}` : '') +
    `: ${r.downloaded} file${r.downloaded === 1 ? '' : 's'} (${r.images} image${r.images === 1 ? '' : 's'}, ` +
    `${r.videos} video${r.videos === 1 ? '' : 's'}, ${formatBytes(bytes)}) in ${where}\n` +
    removed +
    `Succeeded: ${r.successful_sources.join(', ') || 'none'} | Failed: ${r.failed_sources.join(', ') || 'none'}\n` +
    `Log: ${relative(options.cwd, options.logPath) || options.logPath}\n`
  );
}

/**
 * `Removed: Filtered: 3 (min_width 2, license 1) | Near-duplicates: 1`, then one line per source
 * that removed anything; written for every search job (zeros included: the user learns that
 * nothing was removed), and for a `get` job only when it had filters that removed something.
 */
export function removedSummary(doc: JobDocument): string {
  const r = doc.results;
  const removedAny = (r.filtered ?? 0) > 0 || (r.near_duplicates ?? 0) > 0;
  if (!removedAny && doc.sources.includes(URLS_SOURCE)) return '';
  const perSource = doc.sources.flatMap((name) => {
    const s = r.source_stats[name];
    if (s === undefined || ((s.filtered ?? 0) === 0 && (s.near_duplicates ?? 0) === 0)) return [];
    const reasons = Object.entries(s.filtered_reasons ?? {})
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`);
    return [
      `  ${name}: filtered ${s.filtered ?? 0}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}, near-duplicates ${s.near_duplicates ?? 0}`,
    ];
  });
  return `Removed: ${removedText(r)}\n${perSource.map((line) => `${line}\n`).join('')}`;
}
