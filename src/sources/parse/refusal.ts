// What a service said when it refused a request (401/403/400 with a key or policy message):
// the `error`/`detail`/`message`/`reason` of a JSON body, or the body as text — one short,
// plain line for the BlockedError that names the cause.
import { asRecord, asString } from './json-shape.ts';
import { htmlToText } from './plain-text.ts';

/** A short plain-text reason from an error body, or undefined when it says nothing usable. */
export function refusalDetail(body: string, maxChars = 160): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body) as unknown;
  } catch {
    return htmlToText(body.slice(0, 4096), maxChars);
  }
  const record = asRecord(parsed);
  const nested = asRecord(record?.error);
  for (const value of [record?.error, nested?.info, nested?.message, record?.detail, record?.message, record?.reason]) {
    const text = htmlToText(asString(value), maxChars);
    if (text) return text;
  }
  return undefined;
}

/** "HTTP 403: reason" or "HTTP 403". */
export function statusWithDetail(status: number, body: string): string {
  const detail = refusalDetail(body);
  return detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`;
}
