// The file-output seam: every byte of a job's saved files, and their manifests, goes through
// this interface, so that a local directory (today) or an object store (later) can hold them.
// Paths are relative to the output's root (DOWNLOAD_DIR) with forward slashes, exactly as the
// job document records them (`cats/google_images/cats_001.jpg`); an implementation refuses any
// path that would leave its root.
import type { Readable } from 'node:stream';

/** One partial file being written: bytes go to a temporary name until `commit` gives it its final one. */
export interface PartWriter {
  /**
   * Where the partial bytes are: a file on this machine's disk, readable once `finish` resolved
   * and until `commit` or `discard` (the near-duplicate check hashes it there). An implementation
   * that stores files elsewhere stages its parts locally and uploads them on commit.
   */
  readonly path: string;
  /** The partial file's own name in its directory (recorded as pending, so reconcile can delete it after a crash). */
  readonly name: string;
  /** Queues `chunk`; false means wait for `drain()` before writing more. Throws a DiskError after a failed write. */
  write(chunk: Buffer): boolean;
  /** Resolves when the queue has room again; rejects with the write error, if any. */
  drain(): Promise<void>;
  /** Flushes and closes; rejects with a DiskError if any write failed. */
  finish(): Promise<void>;
  /**
   * Moves the finished file to `fileName` (a plain name) without overwriting; returns where it is.
   * A name that exists already rejects with a NameTakenError.
   */
  commit(fileName: string): Promise<string>;
  /** Closes and deletes the partial file; never throws. */
  discard(): Promise<void>;
}

/** A place to write media files into (what the downloader needs). */
export interface MediaSink {
  open(): Promise<PartWriter>;
}

/** An inclusive byte range, as HTTP Range requests give it. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A saved file found for reading. */
export interface StoredFile {
  size: number;
  mtimeMs: number;
  /** The file's bytes, or `range` of them; opened only when called. */
  read(range?: ByteRange): Readable;
  /**
   * Puts the file at `destination`, an absolute path on this machine outside the output (an
   * export folder) where nothing exists yet: a hard link where the file system allows one, else a
   * copy of the bytes (an object store downloads it). Never overwrites; says which it did.
   */
  copyTo(destination: string): Promise<'linked' | 'copied'>;
}

export interface FileOutput {
  /** Where the files are, for messages (DOWNLOAD_DIR). */
  readonly root: string;
  /** A sink writing partial files into `dir` (made when missing). */
  sink(dir: string): MediaSink;
  /** Names in `dir`; empty when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Whether `path` exists (any kind of entry: a name that is taken). */
  exists(path: string): Promise<boolean>;
  /** The regular file at `path` for reading; null when missing, not a file, or outside the root. */
  open(path: string): Promise<StoredFile | null>;
  /** Deletes `path`; false when it was not there. */
  remove(path: string): Promise<boolean>;
  /**
   * Writes `text` to `path` so that a reader sees the old or the new content, never half of it
   * (manifests, sidecars); text given in pieces is written as they come (a big manifest).
   */
  writeAtomic(path: string, text: string | AsyncIterable<string>): Promise<void>;
  /** Reads a text file written by writeAtomic; null when missing or unreadable. */
  readText(path: string): Promise<string | null>;
  /** Removes temporary files that a killed writeAtomic left in `dir` (best effort). */
  sweepTemporaries(dir: string): Promise<void>;
}

/** Opens the output rooted at `root` (a job records its root, so one process may serve several). */
export type FileOutputFactory = (root: string) => FileOutput;
