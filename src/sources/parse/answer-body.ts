// A source's answer, parsed without holding the event loop. A synchronous JSON.parse or HTML
// parse of a large answer (the body cap allows 20 MB) blocks every other job, the server's
// health check included, for hundreds of milliseconds, and the source's own deadline cannot fire
// meanwhile. So an answer above SYNC_PARSE_MAX_CHARS is fed to an incremental parser in slices,
// giving the event loop a turn after each slice and stopping at once when the deadline or a
// cancel aborts `signal`. Small answers (the common case) are parsed in one go by the source's
// page parser, which takes either form.
import { createRequire } from 'node:module';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CheerioAPI } from 'cheerio';
import { JSONParser } from '@streamparser/json';
import { ParseError } from '../../core/errors.ts';
import { notJsonError } from './json-shape.ts';

/** Below this many characters one synchronous parse takes a few milliseconds at most. */
export const SYNC_PARSE_MAX_CHARS = 256 * 1024;
/** Characters parsed between two turns of the event loop (about half a millisecond of work). */
const SLICE_CHARS = 16 * 1024;

/** A JSON answer: its text (parsed later, synchronously, being small) or the value already parsed. */
export type JsonAnswer = string | { readonly parsed: unknown };
/** An HTML answer: its text (small) or the document already parsed. */
export type HtmlAnswer = string | CheerioAPI;

/** Parses a large JSON answer in slices; a small one is returned as it is. ParseError when it is not JSON. */
export async function readJsonAnswer(
  source: string,
  text: string,
  signal: AbortSignal,
  what = 'answer',
): Promise<JsonAnswer> {
  if (text.length <= SYNC_PARSE_MAX_CHARS) return text;
  const parser = new JSONParser({ paths: ['$'], keepStack: false });
  let root: { parsed: unknown } | undefined;
  parser.onValue = ({ value, stack }) => {
    if (stack.length === 0) root = { parsed: value };
  };
  try {
    for (let at = 0; at < text.length; at += SLICE_CHARS) {
      const slice = text.slice(at, at + SLICE_CHARS);
      // After the root value only whitespace may follow, as JSON.parse demands.
      if (parser.isEnded) {
        if (slice.trim() !== '') throw new Error('text after the JSON value');
      } else {
        parser.write(slice);
      }
      await nextTurn();
      signal.throwIfAborted();
    }
    if (!parser.isEnded) parser.end();
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw notJsonError(source, text, what);
  }
  if (root === undefined) throw notJsonError(source, text, what);
  return root;
}

type StringStream = (typeof import('cheerio'))['stringStream'];
const requireCjs = createRequire(import.meta.url);
let stringStream: StringStream | undefined;

/** Parses a large HTML answer in slices with cheerio's streaming parser (same parse5 tree as `load`); a small one is returned as it is. */
export async function readHtmlAnswer(source: string, text: string, signal: AbortSignal): Promise<HtmlAnswer> {
  if (text.length <= SYNC_PARSE_MAX_CHARS) return text;
  stringStream ??= (requireCjs('cheerio') as typeof import('cheerio')).stringStream;
  let settle!: (result: { $: CheerioAPI } | { error: unknown }) => void;
  const done = new Promise<{ $: CheerioAPI } | { error: unknown }>((resolve) => (settle = resolve));
  const stream = stringStream({}, (error, $) => settle(error ? { error } : { $ }));
  try {
    for (let at = 0; at < text.length; at += SLICE_CHARS) {
      stream.write(text.slice(at, at + SLICE_CHARS));
      await nextTurn();
      signal.throwIfAborted();
    }
  } catch (error) {
    stream.destroy();
    throw error;
  }
  stream.end();
  const result = await done;
  if ('error' in result) throw new ParseError(source, `the page could not be parsed as HTML: ${String(result.error)}`);
  return result.$;
}
