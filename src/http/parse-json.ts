// A JSON answer parsed, or a ParseError that names who sent it (the source, else the host) and
// the URL, with the start of the body to show what came instead.
import { ParseError } from '../core/errors.ts';
import type { TextResponse } from './types.ts';

/** JSON.parse with the failure named after the source (or the host) and the URL. */
export function parseJson<T>(response: TextResponse, sourceId: string | undefined): T {
  try {
    return JSON.parse(response.text) as T;
  } catch (error) {
    let who = sourceId;
    if (!who) {
      try {
        who = new URL(response.url).host;
      } catch {
        who = 'http';
      }
    }
    const preview = response.text.slice(0, 60).replace(/\s+/g, ' ');
    throw new ParseError(
      who,
      `invalid JSON from ${response.url} (${(error as Error).message}; body starts ${JSON.stringify(preview)})`,
    );
  }
}
