// How the CLI writes sizes, durations and tables for people (machines get --json).
import { escapeControlChars } from '../core/control-chars.ts';

/** Several lines of text for a terminal: our own line breaks kept, every other control character escaped. */
export function terminalLines(text: string): string {
  return text
    .split('\n')
    .map((line) => escapeControlChars(line))
    .join('\n');
}

/** `1.2s`, `850ms`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `245 B`, `12.3 KB`, `4.5 MB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Left-aligned columns separated by two spaces; the last column is not padded. `paint` may wrap a
 * body cell in colour codes: widths are measured on the text, so colour never shifts a column.
 * Cells carry outside text (queries, errors): escaped before widths are measured.
 */
export function formatTable(
  header: readonly string[],
  rawRows: readonly (readonly string[])[],
  paint: (cell: string, column: number) => string = (cell) => cell,
): string {
  const rows = rawRows.map((row) => row.map((cell) => escapeControlChars(cell)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], painted: boolean): string =>
    cells
      .map((c, i) => {
        const pad = i === cells.length - 1 ? '' : ' '.repeat(widths[i]! - c.length);
        return c === '' ? pad : (painted ? paint(c, i) : c) + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header, false), ...rows.map((r) => line(r, true))].join('\n') + '\n';
}
