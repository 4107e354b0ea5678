// Stable native ids for services whose results carry none (DuckDuckGo's i.js, some Google and
// Yandex forms): a short hash of the media URL, so the same file gets the same id on every page
// and in every job (the runner's de-duplication and the download archive key on it).
import { createHash } from 'node:crypto';

/** 16 hex characters of the SHA-256 of `url`. */
export function urlHashId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/** A service's own id when it is a short token of safe characters, else undefined. */
export function safeNativeId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const id = value.trim();
  return /^[A-Za-z0-9_.:+/=-]{1,128}$/.test(id) ? id : undefined;
}
