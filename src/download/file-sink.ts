// Where saved bytes go (DESIGN §8 "file output" seam): the downloader writes through this small
// interface, and a local directory implements it today; an object store can later implement
// the same four operations. Partial files are `<random>.part` in the target directory, so the
// final move is a same-directory link: atomic, and it never overwrites an existing file.
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DiskError } from '../core/errors.ts';
import { assertPlainName, safeJoin } from './naming.ts';

/** One partial file being written. */
export interface PartWriter {
  /** Where the partial bytes are (for messages and crash cleanup). */
  readonly path: string;
  /** Queues `chunk`; false means wait for `drain()` before writing more. Throws a DiskError after a failed write. */
  write(chunk: Buffer): boolean;
  /** Resolves when the queue has room again; rejects with the write error, if any. */
  drain(): Promise<void>;
  /** Flushes and closes; rejects with a DiskError if any write failed. */
  finish(): Promise<void>;
  /** Moves the finished file to `fileName` (a plain name) without overwriting; returns its path. */
  commit(fileName: string): Promise<string>;
  /** Closes and deletes the partial file; never throws. */
  discard(): Promise<void>;
}

/** A place to write media files into. */
export interface MediaSink {
  open(): Promise<PartWriter>;
}

/** Bytes buffered per file before the writer pushes back: few large writes beat many small ones. */
const WRITE_HIGH_WATER_MARK = 256 * 1024;

/** Maps a write failure to a DiskError; ENOSPC reads "no space left on device". */
export function toDiskError(error: unknown, what: string): DiskError {
  if (error instanceof DiskError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return new DiskError(`no space left on device while writing ${what}`, { cause: error });
  if (code === 'EDQUOT') return new DiskError(`disk quota exceeded while writing ${what}`, { cause: error });
  return new DiskError(`cannot write ${what}: ${(error as Error | undefined)?.message ?? String(error)}`, { cause: error });
}

class LocalPartWriter implements PartWriter {
  private failure: DiskError | null = null;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly directory: string,
    private readonly stream: WriteStream,
  ) {
    stream.on('error', (error) => {
      this.failure ??= toDiskError(error, path);
    });
  }

  write(chunk: Buffer): boolean {
    if (this.failure) throw this.failure;
    return this.stream.write(chunk);
  }

  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (): void => {
        this.stream.off('drain', onDrain);
        reject(this.failure);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }

  finish(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      // 'close' (fd closed) comes after 'finish', and after 'error' when a final write failed.
      this.stream.once('close', () => {
        this.closed = true;
        if (this.failure) reject(this.failure);
        else resolve();
      });
      this.stream.end();
    });
  }

  async commit(fileName: string): Promise<string> {
    assertPlainName(fileName);
    const target = safeJoin(this.directory, fileName);
    try {
      // link() fails with EEXIST instead of replacing: a file already there is never overwritten.
      await link(this.path, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new DiskError(`${fileName} already exists in ${this.directory}; not overwritten`, { cause: error });
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw toDiskError(error, target);
      // No hard links on this file system: claim the name exclusively, then move over our own claim.
      try {
        await (await open(target, 'wx')).close();
        await rename(this.path, target);
        return target;
      } catch (fallbackError) {
        if ((fallbackError as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new DiskError(`${fileName} already exists in ${this.directory}; not overwritten`, { cause: fallbackError });
        }
        throw toDiskError(fallbackError, target);
      }
    }
    await unlink(this.path).catch(() => {});
    return target;
  }

  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await new Promise<void>((resolve) => {
        if (this.stream.closed) resolve();
        else {
          this.stream.once('close', () => resolve());
          this.stream.destroy();
        }
      });
    }
    await unlink(this.path).catch(() => {});
  }
}

/** The local-directory sink: `.part` files in `directory`, created (with parents) on first use. */
export function localDirectorySink(directory: string): MediaSink {
  let ready: Promise<unknown> | undefined;
  return {
    async open() {
      ready ??= mkdir(directory, { recursive: true });
      try {
        await ready;
      } catch (error) {
        ready = undefined;
        throw toDiskError(error, directory);
      }
      const path = join(directory, `${randomBytes(9).toString('base64url')}.part`);
      const stream = createWriteStream(path, { flags: 'wx', highWaterMark: WRITE_HIGH_WATER_MARK });
      // Surface an open failure (EACCES, ENOSPC on create) here rather than on the first write.
      await new Promise<void>((resolve, reject) => {
        const onOpen = (): void => {
          stream.off('error', onError);
          resolve();
        };
        const onError = (error: Error): void => {
          stream.off('open', onOpen);
          reject(toDiskError(error, path));
        };
        stream.once('open', onOpen);
        stream.once('error', onError);
      });
      return new LocalPartWriter(path, directory, stream);
    },
  };
}
