// Partial files of the local directory output: `<random>.part` in the target directory, so the
// final move is a same-directory link: atomic, and it never overwrites an existing file.
import { randomBytes } from 'node:crypto';
import { close, open as openFd, writev } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { ensureDirectoryBelow } from './directory-below.ts';
import { basename, join } from 'node:path';
import { DiskError, NameTakenError } from '../core/errors.ts';
import type { MediaSink, PartWriter } from './file-output.ts';
import { assertPlainName, safeJoin } from './naming.ts';

/**
 * Chunks are gathered until this many bytes, then written with one writev: a 64 KiB image
 * costs one write instead of one per network chunk (every fs call is a thread-pool round trip).
 */
const FLUSH_BYTES = 256 * 1024;
/** Bytes queued per file (while a write is in flight) before the writer pushes back. */
const HIGH_WATER_BYTES = 2 * FLUSH_BYTES;

/** Maps a write failure to a DiskError; ENOSPC reads "no space left on device". */
export function toDiskError(error: unknown, what: string): DiskError {
  if (error instanceof DiskError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return new DiskError(`no space left on device while writing ${what}`, { cause: error });
  if (code === 'EDQUOT') return new DiskError(`disk quota exceeded while writing ${what}`, { cause: error });
  return new DiskError(`cannot write ${what}: ${(error as Error | undefined)?.message ?? String(error)}`, {
    cause: error,
  });
}

/** Drops the first `bytes` bytes of `buffers` (what a short writev did write). */
function skipBytes(buffers: Buffer[], bytes: number): Buffer[] {
  let rest = bytes;
  const out: Buffer[] = [];
  for (const buffer of buffers) {
    if (rest >= buffer.length) {
      rest -= buffer.length;
      continue;
    }
    out.push(rest > 0 ? buffer.subarray(rest) : buffer);
    rest = 0;
  }
  return out;
}

/** A `.part` file written through a raw descriptor: no stream machinery per file, writes coalesced. */
class LocalPartWriter implements PartWriter {
  private failure: DiskError | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing = false;
  private fdClosed = false;
  private finishing = false;
  /** Called whenever a write completes (or fails): drain, finish and discard wait on it. */
  private waiters: Array<() => void> = [];

  constructor(
    readonly path: string,
    private readonly directory: string,
    private readonly fd: number,
  ) {}

  get name(): string {
    return basename(this.path);
  }

  write(chunk: Buffer): boolean {
    if (this.failure) throw this.failure;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.writing && this.pendingBytes >= FLUSH_BYTES) this.flush();
    return this.pendingBytes < HIGH_WATER_BYTES;
  }

  private flush(): void {
    const buffers = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = true;
    writev(this.fd, buffers, (error, written) => {
      this.writing = false;
      if (error) {
        this.failure ??= toDiskError(error, this.path);
      } else if (written < bytes) {
        // A short write (rare on local disks): put back what is left, ahead of newer chunks.
        this.pending = [...skipBytes(buffers, written), ...this.pending];
        this.pendingBytes += bytes - written;
      }
      if (!this.failure && (this.pendingBytes >= FLUSH_BYTES || (this.finishing && this.pendingBytes > 0)))
        this.flush();
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  private nextWrite(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async drain(): Promise<void> {
    while (!this.failure && this.pendingBytes >= HIGH_WATER_BYTES) await this.nextWrite();
    if (this.failure) throw this.failure;
  }

  async finish(): Promise<void> {
    this.finishing = true;
    if (!this.writing && !this.failure && this.pendingBytes > 0) this.flush();
    while (!this.failure && (this.writing || this.pendingBytes > 0)) await this.nextWrite();
    await this.closeFd();
    if (this.failure) throw this.failure;
  }

  private async closeFd(): Promise<void> {
    if (this.fdClosed) return;
    this.fdClosed = true;
    await new Promise<void>((resolve) => {
      close(this.fd, (error) => {
        // A failed close can be a delayed write error (NFS, quotas): the file is not good.
        if (error) this.failure ??= toDiskError(error, this.path);
        resolve();
      });
    });
  }

  async commit(fileName: string): Promise<string> {
    assertPlainName(fileName);
    if (this.failure) throw this.failure;
    const target = safeJoin(this.directory, fileName);
    try {
      // link() fails with EEXIST instead of replacing: a file already there is never overwritten.
      await link(this.path, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST')
        throw new NameTakenError(`${fileName} already exists in ${this.directory}; not overwritten`, { cause: error });
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')
        throw toDiskError(error, target);
      // No hard links on this file system: claim the name exclusively, then move over our own claim.
      try {
        await (await open(target, 'wx')).close();
        await rename(this.path, target);
        return target;
      } catch (fallbackError) {
        if ((fallbackError as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new NameTakenError(`${fileName} already exists in ${this.directory}; not overwritten`, {
            cause: fallbackError,
          });
        }
        throw toDiskError(fallbackError, target);
      }
    }
    await unlink(this.path).catch(() => {});
    return target;
  }

  async discard(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    // A write in flight cannot be cancelled; closing the descriptor under it would be worse.
    while (this.writing) await this.nextWrite();
    await this.closeFd();
    await unlink(this.path).catch(() => {});
  }
}

/** Directories known to exist: a download does not pay a mkdir each (bounded, for long-running servers). */
const ensuredDirectories = new Set<string>();
const MAX_ENSURED_DIRECTORIES = 1024;

async function ensureDirectory(directory: string, root: string): Promise<void> {
  if (ensuredDirectories.has(directory)) return;
  try {
    await ensureDirectoryBelow(root, directory);
  } catch (error) {
    throw toDiskError(error, directory);
  }
  if (ensuredDirectories.size >= MAX_ENSURED_DIRECTORIES) ensuredDirectories.clear();
  ensuredDirectories.add(directory);
}

// Part names: a random prefix drawn once per process plus a counter, unique without a
// random draw per file; opening with 'wx' still refuses to reuse any existing name.
const PART_PREFIX = randomBytes(6).toString('base64url');
let partCounter = 0;
function partName(): string {
  partCounter = (partCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PART_PREFIX}${partCounter.toString(36)}.part`;
}

function openPart(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    openFd(path, 'wx', 0o644, (error, fd) => (error ? reject(error) : resolve(fd)));
  });
}

/**
 * The local-directory sink: `.part` files in `directory`, created (with parents) when missing.
 * Every directory from `root` (DOWNLOAD_DIR) down to `directory` is made and checked without
 * following symbolic links.
 */
export function localDirectorySink(directory: string, root: string): MediaSink {
  return {
    async open() {
      await ensureDirectory(directory, root);
      let path = join(directory, partName());
      let fd: number;
      try {
        fd = await openPart(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          // A name left by a crashed process that had the same prefix: take a fresh one.
          path = join(directory, `${randomBytes(12).toString('base64url')}.part`);
        } else if (code !== 'ENOENT') {
          throw toDiskError(error, path);
        }
        // The directory went away since it was made (a user cleaning up): make it again, once.
        ensuredDirectories.delete(directory);
        await ensureDirectory(directory, root);
        try {
          fd = await openPart(path);
        } catch (retryError) {
          throw toDiskError(retryError, path);
        }
      }
      return new LocalPartWriter(path, directory, fd);
    },
  };
}
