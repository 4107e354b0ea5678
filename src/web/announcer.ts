// What a screen reader hears of live changes. Polite messages are gathered and spoken at most
// once per interval (several at once are joined), so a busy job does not drown the reader in
// updates; a message with a `key` replaces an earlier pending one with the same key (a running
// file count says only its latest figure). Errors go to the assertive region at once.
import { byId } from './dom.ts';

const INTERVAL_MS = 2500;

const polite = (): HTMLElement => byId('announce-polite');
const assertive = (): HTMLElement => byId('announce-assertive');

let pending: { key: string | null; text: string }[] = [];
let timer: number | null = null;
let lastSpokenMs = 0;

function speak(region: HTMLElement, text: string): void {
  // A live region only announces a change: clear it first so the same words said twice are heard.
  region.textContent = '';
  window.setTimeout(() => (region.textContent = text), 50);
}

function flush(): void {
  timer = null;
  if (pending.length === 0) return;
  const text = pending.map((p) => p.text).join(' ');
  pending = [];
  lastSpokenMs = Date.now();
  speak(polite(), text);
}

/** Queues a polite announcement. */
export function announce(text: string, key: string | null = null): void {
  if (key !== null) pending = pending.filter((p) => p.key !== key);
  pending.push({ key, text: /[.!?]$/.test(text) ? text : `${text}.` });
  if (timer !== null) return;
  const wait = Math.max(0, lastSpokenMs + INTERVAL_MS - Date.now());
  timer = window.setTimeout(flush, wait);
}

/** Says an error now, interrupting. */
export function announceError(text: string): void {
  speak(assertive(), text);
}

/** Drops what was queued (leaving a view whose news no longer matters). */
export function clearAnnouncements(): void {
  pending = [];
  if (timer !== null) window.clearTimeout(timer);
  timer = null;
}
