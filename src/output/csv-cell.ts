// One cell of the CSV files Harvester writes (manifests, data-set metadata): RFC 4180 quoting,
// and spreadsheet formulas defused, because titles and authors come from the internet.

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (starting with = + - @, or a tab
 * or carriage return that hides one) gets a leading apostrophe (OWASP "CSV injection").
 * Numbers are written as they are; null and undefined are empty.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}
