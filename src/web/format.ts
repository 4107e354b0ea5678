// Formatting numbers, sizes, durations and times for people.

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s % 60)} s`;
}

export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '–';
  return `${Math.round(rate * 100)}%`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** "5 min ago", "in 5 min", "just now": relative to the viewer's clock, past or future. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '–';
  const diff = now - new Date(iso).getTime();
  if (!Number.isFinite(diff)) return iso;
  const future = diff < 0;
  const s = Math.round(Math.abs(diff) / 1000);
  if (s < 5) return 'just now';
  let amount: string;
  if (s < 60) amount = `${s} s`;
  else if (s < 3600) amount = `${Math.round(s / 60)} min`;
  else if (s < 48 * 3600) amount = `${Math.round(s / 3600)} h`;
  else amount = `${Math.round(s / 86400)} days`;
  return future ? `in ${amount}` : `${amount} ago`;
}

/** "in 5 min (14:32)": when something happens, relative first, then the viewer's local time. */
export function relativeAndLocal(iso: string | null | undefined): string {
  if (!iso) return '–';
  return `${relativeTime(iso)} (${formatTime(iso)})`;
}

const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/g;

/** A message from the server with its UTC instants ("retry after 2025-…Z") said in local time. */
export function localizeTimes(text: string): string {
  return text.replace(ISO_INSTANT, (iso) => relativeAndLocal(iso));
}

/** A skip reason without its "; retry after <instant>" tail, for views that say when in their own words. */
export function withoutRetryAfter(text: string): string {
  return text.replace(/[;,]?\s*retry after\s+\S+/i, '');
}

/** A `<time>`-ready pair: the local, readable text and the machine-readable instant. */
export function localDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** `google_images` → `Google Images` when the source has no display name at hand. */
export function humanizeId(id: string): string {
  return id.replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}
