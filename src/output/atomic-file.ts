// Whole-file writes that a reader never sees half done: the text goes to a temporary sibling
// (`.<12 hex>.tmp`) that is renamed over the target. A process killed between the two leaves the
// temporary behind, so writers sweep stale ones from the folder they write to. One set of
// in-flight temporaries serves every writer of the process, so no sweep removes a file another
// write of the same process is still filling.
import { randomBytes } from 'node:crypto';
import { readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const TMP_NAME = /^\.[0-9a-f]{12}\.tmp$/;

/**
 * A temporary file younger than this may be another process's write in progress (writeFile then
 * rename takes milliseconds), so a sweep leaves it; an older one is a leftover of a killed write.
 */
export const STALE_TMP_AGE_MS = 1000;
const activeTmps = new Set<string>();

/** Writes `text` (whole, or piece by piece) to a temporary sibling of `target` and renames it over `target`. */
export async function writeFileAtomic(target: string, text: string | AsyncIterable<string>): Promise<void> {
  const tmp = join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
  activeTmps.add(tmp);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, target);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  } finally {
    activeTmps.delete(tmp);
  }
}

/**
 * Removes writeFileAtomic's temporaries in `dir` older than `staleAfterMs` that no write of this
 * process is filling. Best effort: a sweep that fails never stops the write it comes with.
 */
export async function sweepStaleTemporaries(dir: string, staleAfterMs: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const nowMs = Date.now();
  for (const name of names) {
    if (!TMP_NAME.test(name)) continue;
    const path = join(dir, name);
    if (activeTmps.has(path)) continue;
    try {
      const info = await stat(path);
      if (!info.isFile() || nowMs - info.mtimeMs < staleAfterMs) continue;
      await unlink(path);
    } catch {
      // Gone already (another sweep) or not ours to remove: leave it.
    }
  }
}
