// The one rule every source follows to tell "no more results" from "a page we do not
// understand": a page is empty only when the service says so — an empty result container,
// the service's own "nothing found" marker, or (in walkPages) a page repeating what was seen.
// Result items the parser cannot read, containers holding only unreadable items, and a page
// that is no results page at all are ParseErrors that say what was found, so that a changed
// site is a loud alarm naming the evidence, never "completed, 0 files".
import { ParseError } from '../../core/errors.ts';
import { asArray, asCount, asRecord, dig } from './json-shape.ts';

/** What a parser saw on one page of an HTML source. */
export interface PageReading {
  /** Candidates the parser could read (wherever they stand on the page). */
  readable: number;
  /** Result items seen: children of the known result containers, and the cards the parser recognised, readable or not. */
  items: number;
  /** The known result containers present (empty ones included). */
  containers: number;
  /** Whether the service's own "nothing found" marker is on the page. */
  saysNothingFound: boolean;
}

/** How the alarm names things: what a readable item is, what the items were, what came. */
export interface PageExpectation {
  /** A readable result item, e.g. `a.iusc[m] with an http(s) murl`. */
  readableAs: string;
  /** What counts as an item, for the count in the message, e.g. `result items (ul.dgControl_list > li)`. */
  itemsAre: string;
  /** What a results page has, for the not-a-results-page message. */
  resultsPageHas: string;
}

/**
 * Whether the page ends the results (`'end'`) or carries results (`'results'`); throws the
 * ParseError of the rule otherwise. `first` is the first page of the search; a later page
 * that is an empty body is the end (services that page by offset answer nothing past it).
 */
export function judgeHtmlPage(
  source: string,
  reading: PageReading,
  expect: PageExpectation,
  page: { first: boolean; body: string },
): 'results' | 'end' {
  if (reading.readable > 0) return 'results';
  if (reading.items > 0) {
    throw new ParseError(source, `${reading.items} ${expect.itemsAre}, none readable as ${expect.readableAs}`);
  }
  if (reading.containers > 0 || reading.saysNothingFound) return 'end';
  if (!page.first && page.body.trim() === '') return 'end';
  throw new ParseError(source, `not a results page: no ${expect.resultsPageHas}; came ${htmlEvidence(page.body)}`);
}

/** A short description of an HTML answer for an error: its title and the start of its text. */
export function htmlEvidence(body: string): string {
  if (body.trim() === '') return 'an empty body';
  const title = /<title[^>]*>([^<]{0,200})/i.exec(body)?.[1];
  const text = body
    .replace(/<(script|style|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const parts = [`${body.length} bytes`];
  if (title !== undefined && title.trim() !== '')
    parts.push(`title ${JSON.stringify(clip(title.trim().replace(/\s+/g, ' '), 80))}`);
  if (text !== '') parts.push(`text ${JSON.stringify(clip(text, 120))}`);
  return parts.join(', ');
}

/** A short description of a JSON answer for an error: its type, or an object's keys. */
export function jsonEvidence(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const record = asRecord(value);
  if (!record) return value === null ? 'null' : `a ${typeof value}`;
  const keys = Object.keys(record);
  if (keys.length === 0) return 'an empty object';
  const shown = keys.slice(0, 8).map((k) => clip(k, 40));
  return `an object with keys ${shown.join(', ')}${keys.length > shown.length ? ` (+${keys.length - shown.length})` : ''}`;
}

/**
 * The result list of a JSON answer at `path`, or, when it is missing, `[]` if the answer carries
 * the service's own "nothing found" marker (one of `zeroMarkers`, each a key path, reads 0);
 * otherwise a ParseError naming what came instead.
 */
export function resultListOf(
  source: string,
  data: unknown,
  path: readonly string[],
  zeroMarkers: readonly (readonly string[])[] = [],
): unknown[] {
  const list = asArray(dig(data, ...path));
  if (list) return list;
  if (zeroMarkers.some((marker) => asCount(dig(data, ...marker)) === 0)) return [];
  const markers = zeroMarkers.length > 0 ? ` and no ${zeroMarkers.map((m) => `${m.join('.')}: 0`).join(' or ')}` : '';
  throw new ParseError(source, `no ${path.join('.')} array${markers}; came ${jsonEvidence(data)}`);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
