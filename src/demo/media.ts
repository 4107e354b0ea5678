// Small, valid media files made on the fly for the simulation and the tests: a PNG whose
// pixels depend on a key (so different keys never share a SHA-256) and a minimal MP4.
import { deflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGB PNG of `raw` rows (each a filter byte 0, then width × RGB). */
function encodePng(raw: Buffer, width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A `width`×`height` RGB PNG whose colours derive from `key`. */
export function makePng(key: string, width = 64, height = 48): Buffer {
  const seed = createHash('sha256').update(key).digest();
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const i = row + 1 + x * 3;
      raw[i] = (seed[0]! + x * 3) & 0xff;
      raw[i + 1] = (seed[1]! + y * 5) & 0xff;
      raw[i + 2] = seed[(x + y) % 32]!;
    }
  }
  return encodePng(raw, width, height);
}

/**
 * A `width`×`height` RGB PNG of the picture `key`: an 8×8 grid of blocks whose brightness comes
 * from the key's hash, laid over the whole image. The picture scales with the size, so the same key
 * at two sizes is the same picture in different bytes (what a perceptual hash must match), and two
 * keys are different pictures (what it must tell apart).
 */
export function makePicture(key: string, width = 64, height = 48): Buffer {
  const seed = createHash('sha256').update(key).digest();
  const raw = Buffer.alloc((width * 3 + 1) * height);
  // Fine noise (xorshift, seeded by the key) keeps the file about as large as a photo's pixels
  // would make it, without changing the picture's coarse structure.
  let noise = seed.readUInt32LE(0) | 1;
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    const by = Math.floor((y * 8) / height);
    for (let x = 0; x < width; x++) {
      const bx = Math.floor((x * 8) / width);
      const cell = by * 8 + bx;
      const level = ((seed[cell >> 1]! >> ((cell & 1) * 4)) & 0x0f) * 14;
      noise ^= noise << 13;
      noise ^= noise >>> 17;
      noise ^= noise << 5;
      const i = row + 1 + x * 3;
      raw[i] = level + (noise & 0x1f);
      raw[i + 1] = (level + seed[0]! + ((noise >>> 8) & 0x1f)) & 0xff;
      raw[i + 2] = Math.floor(level / 2 + (x * 64) / width) + ((noise >>> 16) & 0x1f);
    }
  }
  return encodePng(raw, width, height);
}

/** A minimal MP4 (an `ftyp` box, then a `free` box carrying `key`), `size` bytes at least. */
export function makeMp4(key: string, size = 4096): Buffer {
  const ftyp = Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypisom', 'ascii'),
    Buffer.from([0, 0, 2, 0]),
    Buffer.from('isomiso2', 'ascii'),
  ]);
  const payload = Buffer.alloc(Math.max(16, size - ftyp.length - 8));
  createHash('sha256').update(key).digest().copy(payload);
  const free = Buffer.alloc(8);
  free.writeUInt32BE(payload.length + 8);
  free.write('free', 4, 'ascii');
  return Buffer.concat([ftyp, free, payload]);
}
