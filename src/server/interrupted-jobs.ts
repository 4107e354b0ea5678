// Jobs a stopping server interrupted, remembered for its next start. A job cut by a crash is
// still `running` in the store and `markInterrupted` finds it; a job cut by a clean stop (SIGTERM,
// Ctrl-C) is already `interrupted` — just like one a user stopped in the CLI, which the server
// must not take over. So the server writes down exactly the jobs *it* interrupted, and resumes
// those (and the crashed ones) when it starts again.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MARKER_FILE = 'server-interrupted.json';

/** Records `ids` in DATA_DIR (atomically: written aside, then renamed). */
export async function rememberInterrupted(dataDir: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, MARKER_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ interrupted: ids, at: new Date().toISOString() })}\n`);
  await rename(tmp, path);
}

/** The ids an earlier server recorded, and forgets them (a later start does not see them again). */
export async function takeInterrupted(dataDir: string): Promise<string[]> {
  const path = join(dataDir, MARKER_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  await rm(path, { force: true });
  try {
    const data = JSON.parse(text) as { interrupted?: unknown };
    return Array.isArray(data.interrupted) ? data.interrupted.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
