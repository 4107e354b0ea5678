// A size-rotated append-only file, named like Python's RotatingFileHandler: `name`, `name.1`
// (newest backup) … `name.N`. Writes are synchronous on purpose: the caller batches lines, so
// one write covers many events, and a synchronous write is the only kind that still lands
// when the process is leaving (`process.on('exit')`, a second Ctrl-C).
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingFileOptions {
  /** Size at which the file rotates, bytes. */
  maxBytes: number;
  /** Rotated files kept (`.1` … `.N`). With 0 the file is emptied instead, so it stays bounded. */
  backups: number;
}

export class RotatingFile {
  private fd: number | null = null;
  private size = 0;

  constructor(
    readonly path: string,
    private readonly options: RotatingFileOptions,
  ) {}

  /** Appends `text` (whole lines), rotating first when it would push the file past maxBytes. */
  append(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    const fd = this.open();
    // Python rolls over when tell() + len(msg) >= maxBytes; a line larger than the limit still
    // goes into a fresh file rather than being dropped.
    if (this.size > 0 && this.size + bytes.length >= this.options.maxBytes) {
      this.rotate();
      return this.append(text);
    }
    writeSync(fd, bytes);
    this.size += bytes.length;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): number {
    if (this.fd === null) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a');
      this.size = fstatSync(this.fd).size;
    }
    return this.fd;
  }

  private rotate(): void {
    this.close();
    const { backups } = this.options;
    if (backups === 0) {
      rmSync(this.path, { force: true });
    } else {
      rmSync(`${this.path}.${backups}`, { force: true });
      for (let i = backups - 1; i >= 1; i--) renameIfPresent(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      renameIfPresent(this.path, `${this.path}.1`);
    }
    this.open();
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
