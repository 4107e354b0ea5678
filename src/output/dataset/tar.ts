// A POSIX ustar writer as an async generator of chunks: headers, file bodies streamed from disk
// in the reader's chunks, padding, and the closing zero blocks. Nothing is held in memory beyond
// one chunk, and the consumer's pace (a file, an HTTP response) sets the pace of reading.
// Names are short ASCII (`<key>.<ext>`), so the 100-byte name field is all that is needed; sizes
// of 8 GiB and more use the base-256 encoding GNU tar and Python's tarfile read.
import type { Readable } from 'node:stream';

export const BLOCK = 512;
/** Largest size the 11 octal digits of the size field hold. */
const OCTAL_SIZE_LIMIT = 8 ** 11;

export interface TarEntry {
  /** ASCII name, at most 100 bytes, no NUL. */
  name: string;
  /** Body size in bytes; a body that turns out longer or shorter is an error, not a bad archive. */
  size: number;
  mtime: Date;
  /** The body: bytes, or a stream opened only when the entry is reached. */
  body: Buffer | (() => Readable);
}

/** The archive of `entries`, in order, as chunks. */
export async function* tarChunks(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    yield tarHeader(entry.name, entry.size, entry.mtime);
    let written = 0;
    if (Buffer.isBuffer(entry.body)) {
      written = entry.body.length;
      if (written !== entry.size) throw new Error(`tar: ${entry.name} is ${written} bytes, not ${entry.size}`);
      yield entry.body;
    } else {
      const stream = entry.body();
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          written += chunk.length;
          if (written > entry.size)
            throw new Error(`tar: ${entry.name} grew while it was archived (more than ${entry.size} bytes)`);
          yield chunk;
        }
      } finally {
        stream.destroy();
      }
      if (written !== entry.size)
        throw new Error(`tar: ${entry.name} shrank while it was archived (${written} of ${entry.size} bytes)`);
    }
    const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** One ustar header block for a regular file. */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const nameBytes = Buffer.from(name, 'ascii');
  if (name === '' || nameBytes.length > 100 || !/^[\x21-\x7e]+$/.test(name)) {
    throw new Error(`tar: entry name ${JSON.stringify(name)} must be 1–100 printable ASCII characters`);
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar: bad size ${size} for ${name}`);
  const header = Buffer.alloc(BLOCK);
  nameBytes.copy(header, 0);
  octal(header, 100, 8, 0o644);
  octal(header, 108, 8, 0);
  octal(header, 116, 8, 0);
  if (size < OCTAL_SIZE_LIMIT) octal(header, 124, 12, size);
  else base256(header, 124, 12, size);
  octal(header, 136, 12, Math.max(0, Math.floor(mtime.getTime() / 1000)));
  header.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  header.write('0', 156, 'ascii'); // regular file
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/** `value` as zero-padded octal digits ending in NUL, filling `length` bytes at `offset`. */
function octal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, 'ascii');
}

/** `value` in the GNU base-256 form: a high bit set in the first byte, then big-endian bytes. */
function base256(header: Buffer, offset: number, length: number, value: number): void {
  let rest = BigInt(value);
  for (let i = offset + length - 1; i > offset; i--) {
    header[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  header[offset] = 0x80;
}
