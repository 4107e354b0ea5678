// Stall detection for every download in the process with ONE timer: a single unref'd interval
// walks the active transfers, instead of a timer armed and re-armed per download or per chunk
// (measured as a real cost at 32 transfers in flight). The per-chunk work
// is one addition.

/** How often the shared ticker looks at the transfers, ms. */
export const STALL_TICK_MS = 100;

export interface StallWatch {
  /** Count bytes received (call per chunk). */
  add(bytes: number): void;
  /** Stop watching (the transfer ended). */
  stop(): void;
}

interface Entry {
  stallTimeoutMs: number;
  minBytesPerSecond: number;
  windowStartMs: number;
  windowBytes: number;
  onStall: (elapsedMs: number, bytes: number) => void;
}

const entries = new Set<Entry>();
let timer: NodeJS.Timeout | undefined;

function tick(): void {
  const now = performance.now();
  for (const entry of entries) {
    const elapsedMs = now - entry.windowStartMs;
    if (elapsedMs < entry.stallTimeoutMs) continue;
    // Nothing at all over a whole window is a stall even when MIN_DOWNLOAD_SPEED is 0.
    const requiredBytes = Math.max(1, (entry.minBytesPerSecond * elapsedMs) / 1000);
    if (entry.windowBytes < requiredBytes) {
      entries.delete(entry);
      entry.onStall(elapsedMs, entry.windowBytes);
    } else {
      entry.windowStartMs = now;
      entry.windowBytes = 0;
    }
  }
  if (entries.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/**
 * Watches one transfer: `onStall` is called (once) when fewer than `minBytesPerSecond` bytes
 * per second — or no byte at all — arrived over a window of `stallTimeoutMs`.
 */
export function watchStall(stallTimeoutMs: number, minBytesPerSecond: number, onStall: Entry['onStall']): StallWatch {
  const entry: Entry = { stallTimeoutMs, minBytesPerSecond, windowStartMs: performance.now(), windowBytes: 0, onStall };
  entries.add(entry);
  if (!timer) {
    timer = setInterval(tick, STALL_TICK_MS);
    timer.unref();
  }
  return {
    add(bytes) {
      entry.windowBytes += bytes;
    },
    stop() {
      entries.delete(entry);
    },
  };
}

/** Transfers being watched (for tests and metrics). */
export function watchedTransfers(): number {
  return entries.size;
}
