// Control characters in text that came from outside (queries, titles, error messages, header
// values, URLs). Written raw, they forge log lines (a reader that splits on U+2028 or U+0085, as
// Python's splitlines() does, sees a new line) or run escape sequences in the operator's
// terminal. Every log line and every terminal output of outside text goes through
// `escapeControlChars`; queries that carry one are refused (`findControlChar` names it).

// C0 controls, DEL, C1 controls and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `\u001b` for ESC: every control character as a visible `\uXXXX`; all other text unchanged. */
export function escapeControlChars(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x07: 'BEL',
  0x08: 'BS',
  0x09: 'TAB',
  0x0a: 'LF',
  0x0b: 'VT',
  0x0c: 'FF',
  0x0d: 'CR',
  0x1b: 'ESC',
  0x7f: 'DEL',
  0x85: 'NEL',
  0x9b: 'CSI',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
};

/** The first control character of `text`, described (`U+001B (ESC) at position 4`), or null. */
export function findControlChar(text: string): string | null {
  CONTROL.lastIndex = 0;
  const match = CONTROL.exec(text);
  CONTROL.lastIndex = 0;
  if (!match) return null;
  const code = match[0].charCodeAt(0);
  const name = NAMES[code];
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${name ? ` (${name})` : ''} at position ${match.index + 1}`;
}
