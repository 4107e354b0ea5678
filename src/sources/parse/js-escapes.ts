// Strings cut out of inline scripts (Google's AF_initDataCallback data) still carry JavaScript
// escapes: "q\u003dtbn:…\u0026s". Inside the HTML such a script may have been escaped once
// more ("\\u003d"), so callers decode until nothing changes, a bounded number of times.

const ESCAPE = /\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|([\\/"'bfnrt]))/g;
const SIMPLE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** One level of JavaScript string escapes decoded; unknown escapes are kept as written. */
export function decodeJsEscapesOnce(text: string): string {
  return text.replace(ESCAPE, (_all, u: string | undefined, x: string | undefined, c: string | undefined) => {
    if (u !== undefined) return String.fromCharCode(parseInt(u, 16));
    if (x !== undefined) return String.fromCharCode(parseInt(x, 16));
    return SIMPLE[c!] ?? c!;
  });
}

/** Escapes decoded level by level until none is left, at most `maxLevels` times (default 2). */
export function decodeJsEscapes(text: string, maxLevels = 2): string {
  let current = text;
  for (let i = 0; i < maxLevels; i++) {
    const next = decodeJsEscapesOnce(current);
    if (next === current) break;
    current = next;
  }
  return current;
}
