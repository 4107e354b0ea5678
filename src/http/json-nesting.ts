// A streaming check of how deeply a JSON answer nests, run on each chunk as it arrives: V8's
// JSON.parse of 20 MB of `[[[[…` holds the event loop for seconds and takes a gigabyte, so an
// answer nested deeper than any real service's is refused while it is read, long before a parse.
// The scan is linear and allocation-free (a few ms per MB), so it never blocks for long itself.

/** Deeper than any recorded answer of the sources (they nest under 20 levels). */
export const MAX_JSON_DEPTH = 256;

export class JsonNestingScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Feeds a chunk; returns false once the nesting exceeds `maxDepth`. */
  feed(chunk: Uint8Array, maxDepth: number = MAX_JSON_DEPTH): boolean {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
      } else if (c === 0x22) {
        this.inString = true;
      } else if (c === 0x5b || c === 0x7b) {
        if (++this.depth > maxDepth) return false;
      } else if ((c === 0x5d || c === 0x7d) && this.depth > 0) {
        this.depth--;
      }
    }
    return true;
  }
}

/** Whether a body should be scanned as JSON: its type says so, or it starts like JSON. */
export function looksLikeJson(contentType: string | undefined, firstChunk: Uint8Array): boolean {
  if (/\bjson\b/i.test(contentType ?? '')) return true;
  for (const c of firstChunk) {
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x5b || c === 0x7b;
  }
  return false;
}
