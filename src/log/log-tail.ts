// Reading the download log back (`harvester logs`, GET /api/logs): the last lines, across the
// newest rotated file when the current one is short, and following the file as it grows.
import { open, readFile, stat } from 'node:fs/promises';

async function readLines(path: string): Promise<string[]> {
  try {
    const text = await readFile(path, 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The last `count` lines of the log that pass `keep`, oldest first; reads `<path>.1` too when needed. */
export async function tailLog(
  path: string,
  count: number,
  keep: (line: string) => boolean = () => true,
): Promise<string[]> {
  if (count <= 0) return [];
  let lines = (await readLines(path)).filter(keep);
  if (lines.length < count) lines = [...(await readLines(`${path}.1`)).filter(keep), ...lines];
  return lines.slice(-count);
}

/**
 * Calls `onLine` for every complete line appended to `path` after `fromByte`, until `signal`
 * aborts. A file that shrinks (rotated) is read again from its start; one that does not exist
 * yet is waited for.
 */
export async function followLog(
  path: string,
  fromByte: number,
  onLine: (line: string) => void,
  signal: AbortSignal,
  pollMs = 200,
): Promise<void> {
  let position = fromByte;
  let rest = '';
  while (!signal.aborted) {
    let size = -1;
    try {
      size = (await stat(path)).size;
    } catch {}
    if (size >= 0 && size < position) {
      position = 0;
      rest = '';
    }
    if (size > position) {
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(size - position);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        position += bytesRead;
        const lines = (rest + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      } finally {
        await handle.close();
      }
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** The log's size now (0 when it does not exist): where following starts. */
export async function logSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
