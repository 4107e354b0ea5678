// Numbers of saved files, `<slug>_<NNN>.<ext>`: each directory continues after the highest
// number already on disk (after a resume, a second job with the same query, a manual copy).
// One allocator per directory per process, so two jobs of one server never pick the same name.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const counters = new Map<string, { slug: string; next: number }>();

function highestOnDisk(directory: string, slug: string): number {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return 0;
  }
  const pattern = new RegExp(`^${slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d+)(\\.|$)`);
  let highest = 0;
  for (const name of entries) {
    const m = pattern.exec(name);
    if (m) highest = Math.max(highest, Number(m[1]));
  }
  return highest;
}

/**
 * The next free number for `<slug>_<NNN>.*` in `directory`. `taken(n)` tells whether a
 * number is in use by a file another process wrote since the scan (checked with the final name).
 */
export function nextFileNumber(directory: string, slug: string, taken: (n: number) => boolean): number {
  const key = join(directory, '\0', slug);
  let counter = counters.get(key);
  if (counter === undefined) {
    counter = { slug, next: highestOnDisk(directory, slug) + 1 };
    counters.set(key, counter);
  }
  let n = counter.next;
  while (taken(n)) n++;
  counter.next = n + 1;
  return n;
}

/** Whether a file with this exact name exists in `directory`. */
export function fileExists(directory: string, name: string): boolean {
  return existsSync(join(directory, name));
}
