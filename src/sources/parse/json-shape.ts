// Reading untrusted JSON from a service without trusting its shape: every accessor returns
// `undefined` for a missing key or a value of the wrong type, so a changed or hostile answer
// can never become a TypeError deep inside a parser. Parsers decide what is fatal (ParseError).
import { ParseError } from '../../core/errors.ts';
import type { JsonAnswer } from './answer-body.ts';

export type JsonRecord = Record<string, unknown>;

/**
 * The value of a service's JSON answer: JSON.parse of its text, or what readJsonAnswer already
 * parsed; anything but valid JSON is a ParseError naming the source.
 */
export function parseJsonBody(source: string, body: JsonAnswer, what = 'answer'): unknown {
  if (typeof body !== 'string') return body.parsed;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw notJsonError(source, body, what);
  }
}

/** The ParseError for an answer that is not JSON, saying what it looks like instead. */
export function notJsonError(source: string, text: string, what: string): ParseError {
  const start = text.trimStart().slice(0, 1);
  const looksLike = start === '<' ? 'an HTML page' : text.trim() === '' ? 'an empty body' : 'text';
  return new ParseError(source, `${what} is not JSON (got ${looksLike})`);
}

/** The value as a plain object (not an array, not null), else undefined. */
export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}

/** The value as an array, else undefined. */
export function asArray(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** A non-empty string, else undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string, or a finite number written as a string (ids are numbers in some APIs, strings in
 * others): non-empty, well-formed, at most 200 characters; else undefined.
 */
export function asId(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const s = value.trim();
    // An id ends up in URLs (encodeURIComponent throws URIError on a lone surrogate) and file
    // records: a string that is not well-formed UTF-16 is no usable id.
    return s.length > 0 && s.length <= 200 && !LONE_SURROGATE.test(s) ? s : undefined;
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/** A finite number (or a numeric string), else undefined. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * A pixel dimension or byte size: a positive safe integer (rounded), else undefined. Huge,
 * negative, zero and fractional-garbage values are dropped rather than passed on.
 */
export function asPositiveInt(value: unknown): number | undefined {
  const n = asNumber(value);
  if (n === undefined || n <= 0) return undefined;
  const r = Math.round(n);
  return Number.isSafeInteger(r) && r > 0 ? r : undefined;
}

/** A non-negative safe integer (counts such as totals and offsets), else undefined. */
export function asCount(value: unknown): number | undefined {
  const n = asNumber(value);
  if (n === undefined || n < 0) return undefined;
  const r = Math.floor(n);
  return Number.isSafeInteger(r) ? r : undefined;
}

/** `obj[key]` read through a chain of keys, each step only through plain objects. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    const record = asRecord(current);
    if (!record) return undefined;
    current = record[key];
  }
  return current;
}
