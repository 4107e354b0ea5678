// Video files with real container headers, built byte by byte as the formats define them
// (ISO/IEC 14496-12 boxes, Matroska's EBML, Theora's identification header), for the tests of
// reading a video's picture size: no encoder is needed, and each field is where a real file has it.
import { createHash } from 'node:crypto';

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length + 8);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

/** A box written with a 64-bit size (`size` field 1). */
function largeBox(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(16);
  header.writeUInt32BE(1);
  header.write(type, 4, 'latin1');
  header.writeBigUInt64BE(BigInt(body.length + 16), 8);
  return Buffer.concat([header, body]);
}

function tkhd(width: number, height: number, options: { version1?: boolean; rotate90?: boolean }): Buffer {
  const v1 = options.version1 === true;
  const b = Buffer.alloc(v1 ? 96 : 84);
  b[0] = v1 ? 1 : 0;
  b.writeUInt32BE(7, 0);
  b[0] = v1 ? 1 : 0;
  const matrixAt = v1 ? 52 : 40;
  // The 3×3 matrix in 16.16 (and 2.30 for its last column): identity, or a quarter turn.
  const [a, bb, c, d] = options.rotate90 ? [0, 0x10000, -0x10000, 0] : [0x10000, 0, 0, 0x10000];
  b.writeInt32BE(a, matrixAt);
  b.writeInt32BE(bb, matrixAt + 4);
  b.writeInt32BE(c, matrixAt + 12);
  b.writeInt32BE(d, matrixAt + 16);
  b.writeInt32BE(0x40000000, matrixAt + 32);
  b.writeUInt32BE(width * 65536, matrixAt + 36);
  b.writeUInt32BE(height * 65536, matrixAt + 40);
  return box('tkhd', b);
}

function hdlr(handler: string): Buffer {
  const b = Buffer.alloc(25);
  b.write(handler, 8, 'latin1');
  return box('hdlr', b);
}

function stsd(format: string, width: number, height: number): Buffer {
  const entry = Buffer.alloc(78);
  entry.writeUInt16BE(1, 6); // data reference index
  entry.writeUInt16BE(width, 24);
  entry.writeUInt16BE(height, 26);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(1, 4);
  return box('stsd', head, box(format, entry));
}

function trak(kind: 'vide' | 'soun', width: number, height: number, options: Mp4Options): Buffer {
  const header = kind === 'vide' && options.noTkhdSize !== true ? tkhd(width, height, options) : tkhd(0, 0, {});
  const entry = kind === 'vide' ? stsd(options.codec ?? 'avc1', width, height) : stsd('mp4a', 0, 0);
  return box('trak', header, box('mdia', box('mdhd', Buffer.alloc(24)), hdlr(kind), box('minf', box('stbl', entry))));
}

export interface Mp4Options {
  /** `moov` after `mdat`, as cameras write it (not "fast start"). */
  moovLast?: boolean;
  /** An audio track before the video track. */
  audioFirst?: boolean;
  version1?: boolean;
  rotate90?: boolean;
  /** `mdat` written with a 64-bit size. */
  largeMdat?: boolean;
  /** The track header gives 0×0: the size comes from the sample entry. */
  noTkhdSize?: boolean;
  codec?: string;
  /** Bytes of `mdat` (the picture data), derived from `key`. */
  mediaBytes?: number;
}

/** An MP4 whose video track is `width`×`height`. */
export function mp4WithSize(key: string, width: number, height: number, options: Mp4Options = {}): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'));
  const tracks = [trak('vide', width, height, options)];
  if (options.audioFirst) tracks.unshift(trak('soun', 0, 0, options));
  const moov = box('moov', box('mvhd', Buffer.alloc(100)), ...tracks);
  const data = Buffer.alloc(options.mediaBytes ?? 2048);
  createHash('sha256').update(key).digest().copy(data);
  const mdat = options.largeMdat ? largeBox('mdat', data) : box('mdat', data);
  return Buffer.concat(options.moovLast ? [ftyp, mdat, moov] : [ftyp, moov, mdat]);
}

// ---- EBML ----

function ebmlId(id: number): Buffer {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from(bytes);
}

function ebmlSize(n: number | 'unknown'): Buffer {
  if (n === 'unknown') return Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  // Always 4 bytes: 0b0001 marker and 28 bits.
  return Buffer.from([0x10 | (n >>> 24), (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function el(id: number, body: Buffer | number, unknownSize = false): Buffer {
  let payload: Buffer;
  if (typeof body === 'number') {
    payload = Buffer.alloc(2);
    payload.writeUInt16BE(body);
  } else payload = body;
  return Buffer.concat([ebmlId(id), ebmlSize(unknownSize ? 'unknown' : payload.length), payload]);
}

export interface WebmOptions {
  /** Segment and Cluster of unknown size, as a live recorder (MediaRecorder) writes them. */
  live?: boolean;
  /** An audio track entry before the video one. */
  audioFirst?: boolean;
}

/** A WebM whose video track is `width`×`height`. */
export function webmWithSize(key: string, width: number, height: number, options: WebmOptions = {}): Buffer {
  const header = el(0x1a45dfa3, Buffer.concat([el(0x4282, Buffer.from('webm')), el(0x4287, 4)]));
  const info = el(0x1549a966, el(0x2ad7b1, 1_000_000 % 65536));
  const video = el(
    0xae,
    Buffer.concat([
      el(0xd7, 1),
      el(0x83, Buffer.from([1])),
      el(0xe0, Buffer.concat([el(0xb0, width), el(0xba, height)])),
    ]),
  );
  const audio = el(0xae, Buffer.concat([el(0xd7, 2), el(0x83, Buffer.from([2])), el(0xe1, el(0xb5, Buffer.alloc(4)))]));
  const tracks = el(0x1654ae6b, Buffer.concat(options.audioFirst ? [audio, video] : [video]));
  const data = Buffer.alloc(1024);
  createHash('sha256').update(key).digest().copy(data);
  const cluster = el(0x1f43b675, Buffer.concat([el(0xe7, 0), el(0xa3, data)]), options.live);
  const segmentBody = Buffer.concat([el(0x114d9b74, Buffer.alloc(12)), info, tracks, cluster]);
  return Buffer.concat([header, el(0x18538067, segmentBody, options.live)]);
}

/** An Ogg Theora file whose picture is `width`×`height`. */
export function oggTheoraWithSize(key: string, width: number, height: number): Buffer {
  const id = Buffer.alloc(42);
  id.write('\x80theora', 0, 'latin1');
  id[7] = 3;
  id[8] = 2;
  id[9] = 1;
  id.writeUInt16BE(Math.ceil(width / 16), 10);
  id.writeUInt16BE(Math.ceil(height / 16), 12);
  id.writeUIntBE(width, 14, 3);
  id.writeUIntBE(height, 17, 3);
  const page = Buffer.alloc(28);
  page.write('OggS', 0, 'latin1');
  page[5] = 2; // beginning of stream
  page[26] = 1;
  page[27] = id.length;
  const data = Buffer.alloc(512);
  createHash('sha256').update(key).digest().copy(data);
  return Buffer.concat([page, id, data]);
}
