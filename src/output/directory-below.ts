// Directories under DOWNLOAD_DIR, made and checked one level at a time without following
// symbolic links: a link planted in DOWNLOAD_DIR (`downloads/cats -> /etc`) would otherwise
// carry every file written "below" it somewhere else. DOWNLOAD_DIR itself may be a link (the
// user chose it); nothing below it may be. Files themselves are created with O_EXCL (`wx`) or
// link(), which never follow a link in the last component.
import { lstat, mkdir } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { DiskError } from '../core/errors.ts';

/** Makes `directory` (which must lie below `root`) and its parents below `root`; throws DiskError naming any symbolic link or non-directory on the way. */
export async function ensureDirectoryBelow(root: string, directory: string): Promise<void> {
  const rel = relative(root, directory);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new DiskError(`refusing to write ${directory}: it is not below ${root}`);
  await mkdir(root, { recursive: true });
  let current = root;
  for (const part of rel === '' ? [] : rel.split(sep)) {
    current = `${current}${sep}${part}`;
    try {
      await mkdir(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const info = await lstat(current);
    if (info.isSymbolicLink()) {
      throw new DiskError(
        `refusing to write through the symbolic link ${current} (files are only written below ${root}, never through a link)`,
      );
    }
    if (!info.isDirectory()) throw new DiskError(`cannot write below ${current}: it is not a directory`);
  }
}
