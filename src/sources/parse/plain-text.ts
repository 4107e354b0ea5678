// Turning what services send as titles, authors and licenses into bounded plain text.
// These values are untrusted: Wikimedia's extmetadata is HTML ("<a href=…>User</a>"), other
// APIs may carry markup or control characters. Faces render plain text only, so the text is
// made plain once, here, and cut to a bounded length.
import { loadHtml } from './html-document.ts';

/** Longest title kept, in characters. */
export const MAX_TITLE_CHARS = 300;
/** Longest author or license text kept, in characters. */
export const MAX_SHORT_TEXT_CHARS = 200;

// C0/C1 controls, zero-width and bidi overrides: invisible characters that can disguise text.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
// Tags that separate words when rendered; without a space "a<br>b" would read "ab".
const BREAKING_TAG = /<(?:br|hr|\/?p|\/?div|\/?li|\/?tr|\/?td|\/?th|\/?h[1-6]|\/?ul|\/?ol)\b[^>]*>/gi;

/**
 * Plain text from a value that may hold HTML: tags stripped (script and style with their
 * content), entities decoded, whitespace collapsed, cut to `maxChars`. Undefined when empty.
 */
export function htmlToText(value: unknown, maxChars = MAX_SHORT_TEXT_CHARS): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value;
  if (/[<&]/.test(text)) {
    const $ = loadHtml(text.replace(BREAKING_TAG, ' $& '), null, false);
    $('script, style, noscript, template').remove();
    text = $.root().text();
  }
  return boundText(text, maxChars);
}

/**
 * Plain text from a value that is meant to be plain already (JSON API titles, authors): any
 * markup-looking tags are dropped too, since the value will be shown to users. Entities are
 * left alone: in a JSON API "&amp;" is what the author typed.
 */
export function plainText(value: unknown, maxChars = MAX_SHORT_TEXT_CHARS): string | undefined {
  if (typeof value !== 'string') return undefined;
  return boundText(value.replace(/<\/?[A-Za-z][^<>]*>/g, ' '), maxChars);
}

/** Invisible characters removed, whitespace collapsed, trimmed, cut at a code-point boundary. */
export function boundText(value: string, maxChars: number): string | undefined {
  const text = value.replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
  if (text.length === 0) return undefined;
  // Only the head can survive the cut: split code points of a bounded prefix, not of a huge value.
  const chars = Array.from(text.length > maxChars * 2 + 2 ? text.slice(0, maxChars * 2 + 2) : text);
  if (chars.length <= maxChars) return text;
  return `${chars
    .slice(0, Math.max(1, maxChars - 1))
    .join('')
    .trimEnd()}…`;
}
