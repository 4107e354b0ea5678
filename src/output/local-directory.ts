// The local-directory file output: a job's files under DOWNLOAD_DIR on this machine's disk (or a
// shared mount). Every directory below the root is made without following symbolic links
// (./directory-below.ts); files are read only when their real path lies inside the real root,
// because the database that names them is not trusted to keep them there.
import { constants, createReadStream } from 'node:fs';
import { copyFile, link, lstat, readdir, readFile, realpath, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { STALE_TMP_AGE_MS, sweepStaleTemporaries, writeFileAtomic } from './atomic-file.ts';
import { ensureDirectoryBelow } from './directory-below.ts';
import type { FileOutput, StoredFile } from './file-output.ts';
import { localDirectorySink } from './local-part-writer.ts';
import { safeJoin, UnsafePathError } from './naming.ts';

/** The output whose files live under the directory `root`. */
export function localDirectoryOutput(root: string): FileOutput {
  const base = resolve(root);
  /** `path` (forward slashes, relative to the root) as an absolute path; throws UnsafePathError when it would leave the root. */
  const at = (path: string): string => {
    if (isAbsolute(path)) throw new UnsafePathError(`not relative to ${root}: ${JSON.stringify(path.slice(0, 200))}`);
    return path === '' ? base : safeJoin(base, ...path.split('/'));
  };

  return {
    root,
    sink(dir) {
      return localDirectorySink(at(dir), root);
    },
    async list(dir) {
      try {
        return await readdir(at(dir));
      } catch {
        return [];
      }
    },
    async exists(path) {
      try {
        await lstat(at(path));
        return true;
      } catch {
        return false;
      }
    },
    async open(path) {
      let candidate: string;
      try {
        candidate = at(path);
      } catch {
        return null;
      }
      return candidate === base ? null : openInside(base, candidate);
    },
    async remove(path) {
      try {
        await unlink(at(path));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    },
    async writeAtomic(path, text) {
      const target = at(path);
      await ensureDirectoryBelow(base, dirname(target));
      await writeFileAtomic(target, text);
    },
    async readText(path) {
      try {
        return await readFile(at(path), 'utf8');
      } catch {
        return null;
      }
    },
    async sweepTemporaries(dir) {
      let abs: string;
      try {
        abs = at(dir);
      } catch {
        return;
      }
      await sweepStaleTemporaries(abs, STALE_TMP_AGE_MS);
    },
  };
}

/** The regular file `candidate` below `root`, its symbolic links followed and refused unless it stays inside the real root. */
async function openInside(root: string, candidate: string): Promise<StoredFile | null> {
  let realFile: string;
  try {
    const realRoot = await realpath(root);
    realFile = await realpath(candidate);
    if (!realFile.startsWith(realRoot + sep)) return null;
    const info = await stat(realFile);
    if (!info.isFile()) return null;
    return {
      size: info.size,
      mtimeMs: info.mtimeMs,
      read: (range) =>
        range ? createReadStream(realFile, { start: range.start, end: range.end }) : createReadStream(realFile),
      copyTo: (destination) => linkOrCopy(realFile, destination),
    };
  } catch {
    return null;
  }
}

/** Hard-links `from` at `to`; copies when the file systems differ or cannot link. Neither replaces an existing `to`. */
async function linkOrCopy(from: string, to: string): Promise<'linked' | 'copied'> {
  try {
    await link(from, to);
    return 'linked';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw error;
  }
  await copyFile(from, to, constants.COPYFILE_EXCL);
  return 'copied';
}
