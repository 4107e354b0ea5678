// The picture size of a downloaded video, read from its container's header: MP4/MOV/3GP
// (`moov/trak/tkhd`, with the track's rotation, or the sample entry of `stsd`), WebM/Matroska
// (`Segment/Tracks/TrackEntry/Video` PixelWidth × PixelHeight) and Ogg Theora (the picture size
// of its identification header). Files come from anywhere, so the parser is bounded: it reads
// only inside the file and inside each parent's extent, every step moves forward, and it gives up
// after a fixed number of boxes or elements. Anything it cannot read gives nulls, never an error.
import { open } from 'node:fs/promises';

/** Width and height in pixels, or nulls when the header does not say (or cannot be read). */
export interface VideoSize {
  width: number | null;
  height: number | null;
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

const UNKNOWN: VideoSize = { width: null, height: null };
/** Boxes or elements looked at before giving up: a real header has a few dozen. */
const MAX_STEPS = 4096;
/** Nesting depth followed: `moov/trak/mdia/minf/stbl/stsd` is 6 deep. */
const MAX_DEPTH = 8;
/** A plausible side of a video picture; anything else is garbage. */
const MAX_SIDE = 65_535;
/** Where an Ogg file's Theora identification header may start. */
const OGG_SCAN_BYTES = 64 * 1024;

/** The size of the video file at `path`; nulls when its container is not one read here or is damaged. */
export async function videoSizeOfFile(path: string): Promise<VideoSize> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return UNKNOWN;
  }
  try {
    const { size } = await handle.stat();
    const readAt: ReadAt = async (offset, length) => {
      const n = Math.max(0, Math.min(length, size - offset));
      if (n === 0 || offset < 0) return Buffer.alloc(0);
      const buffer = Buffer.alloc(n);
      const { bytesRead } = await handle.read(buffer, 0, n, offset);
      return buffer.subarray(0, bytesRead);
    };
    return await videoSizeOf(readAt, size);
  } catch {
    return UNKNOWN;
  } finally {
    await handle.close().catch(() => {});
  }
}

/** The size of a video of `size` bytes read through `readAt`. */
export async function videoSizeOf(read: ReadAt, size: number): Promise<VideoSize> {
  // Every read stays inside the file; an empty or outside one is answered without asking.
  const readAt: ReadAt = async (offset, length) =>
    length <= 0 || offset < 0 || offset >= size ? Buffer.alloc(0) : read(offset, Math.min(length, size - offset));
  const head = await readAt(0, 16);
  if (head.length < 8) return UNKNOWN;
  const budget = { steps: MAX_STEPS };
  if (head.readUInt32BE(0) === 0x1a45dfa3) return plausible(await matroskaSize(readAt, size, budget));
  if (head.toString('latin1', 0, 4) === 'OggS') return plausible(await theoraSize(readAt, size));
  if (head.toString('latin1', 4, 8) === 'ftyp') return plausible(await mp4Size(readAt, size, budget));
  return UNKNOWN;
}

function plausible(found: VideoSize): VideoSize {
  const ok = (n: number | null): boolean => n !== null && Number.isInteger(n) && n > 0 && n <= MAX_SIDE;
  return ok(found.width) && ok(found.height) ? found : UNKNOWN;
}

// ---- MP4 (ISO base media file format) ----

interface Box {
  type: string;
  /** Offset of the box's payload (after its header). */
  start: number;
  /** Offset just past the box. */
  end: number;
}

/** The boxes directly inside `[from, to)`. */
async function* boxes(readAt: ReadAt, from: number, to: number, budget: { steps: number }): AsyncGenerator<Box> {
  let offset = from;
  while (offset + 8 <= to && budget.steps-- > 0) {
    const header = await readAt(offset, 16);
    if (header.length < 8) return;
    let size = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    let headerSize = 8;
    if (size === 1) {
      if (header.length < 16) return;
      const large = header.readBigUInt64BE(8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) return;
      size = Number(large);
      headerSize = 16;
    } else if (size === 0) {
      size = to - offset; // to the end of its parent
    }
    if (size < headerSize) return; // a box smaller than its own header: damaged
    const end = Math.min(offset + size, to);
    yield { type, start: offset + headerSize, end };
    offset += size; // moves forward by at least 8 bytes
  }
}

async function mp4Size(readAt: ReadAt, size: number, budget: { steps: number }): Promise<VideoSize> {
  for await (const top of boxes(readAt, 0, size, budget)) {
    if (top.type !== 'moov') continue;
    for await (const trak of boxes(readAt, top.start, top.end, budget)) {
      if (trak.type !== 'trak') continue;
      const found = await trackSize(readAt, trak, budget);
      if (found !== null) return found;
    }
    return UNKNOWN;
  }
  return UNKNOWN;
}

/** The picture size of one track, or null when it is not a video track. */
async function trackSize(readAt: ReadAt, trak: Box, budget: { steps: number }): Promise<VideoSize | null> {
  let header: VideoSize | null = null;
  let rotated = false;
  let video = false;
  let coded: VideoSize | null = null;
  for await (const box of boxes(readAt, trak.start, trak.end, budget)) {
    if (box.type === 'tkhd') {
      const b = await readAt(box.start, Math.min(box.end - box.start, 96));
      const v1 = b[0] === 1;
      const matrixAt = v1 ? 52 : 40;
      const sizeAt = v1 ? 88 : 76;
      if (b.length < sizeAt + 8) continue;
      const w = b.readUInt32BE(sizeAt) / 65536;
      const h = b.readUInt32BE(sizeAt + 4) / 65536;
      if (w > 0 && h > 0) header = { width: Math.round(w), height: Math.round(h) };
      // A quarter turn: the matrix's a and d are 0 (a phone video shot upright).
      rotated =
        b.readInt32BE(matrixAt) === 0 && b.readInt32BE(matrixAt + 16) === 0 && b.readInt32BE(matrixAt + 4) !== 0;
    } else if (box.type === 'mdia') {
      for await (const m of boxes(readAt, box.start, box.end, budget)) {
        if (m.type === 'hdlr') {
          const b = await readAt(m.start, 12);
          if (b.length === 12 && b.toString('latin1', 8, 12) === 'vide') video = true;
        } else if (m.type === 'minf') {
          coded = await sampleEntrySize(readAt, m, budget, 3);
        }
      }
    }
  }
  if (!video) return null;
  const found = header ?? coded;
  if (found === null) return UNKNOWN;
  return rotated && header !== null ? { width: found.height, height: found.width } : found;
}

/** The width and height of the first visual sample entry under `minf/stbl/stsd`. */
async function sampleEntrySize(
  readAt: ReadAt,
  parent: Box,
  budget: { steps: number },
  depth: number,
): Promise<VideoSize | null> {
  if (depth > MAX_DEPTH) return null;
  for await (const box of boxes(readAt, parent.start, parent.end, budget)) {
    if (box.type === 'stbl') return sampleEntrySize(readAt, box, budget, depth + 1);
    if (box.type !== 'stsd') continue;
    // Full box header (4), entry count (4), then the entry: size (4), format (4), 6 reserved,
    // data reference index (2), 16 bytes of pre-defined and reserved, width (2), height (2).
    const b = await readAt(box.start, 8 + 36);
    if (b.length < 44 || b.readUInt32BE(4) === 0) return null;
    return { width: b.readUInt16BE(8 + 32), height: b.readUInt16BE(8 + 34) };
  }
  return null;
}

// ---- Matroska / WebM (EBML) ----

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const TRACK_TYPE = 0x83;
const VIDEO = 0xe0;
const PIXEL_WIDTH = 0xb0;
const PIXEL_HEIGHT = 0xba;
const CLUSTER = 0x1f43b675;

interface Element {
  id: number;
  start: number;
  /** Offset past the element; null: unknown size (it runs to the end of its parent). */
  end: number | null;
}

/** A variable-length integer at `b[at]`: its value (marker bit removed unless `keepMarker`) and length. */
function vint(
  b: Buffer,
  at: number,
  maxLength: number,
  keepMarker: boolean,
): { value: number; length: number; allOnes: boolean } | null {
  const first = b[at];
  if (first === undefined || first === 0) return null;
  const length = Math.clz32(first) - 23; // 1 for 0b1xxxxxxx … 8 for 0b00000001
  if (length > maxLength || at + length > b.length) return null;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + b[at + i]!;
    if (b[at + i] !== 0xff) allOnes = false;
  }
  return { value, length, allOnes: allOnes && !keepMarker };
}

/** The elements directly inside `[from, to)`; an unknown-size element ends the walk after it. */
async function* elements(readAt: ReadAt, from: number, to: number, budget: { steps: number }): AsyncGenerator<Element> {
  let offset = from;
  while (offset + 2 <= to && budget.steps-- > 0) {
    const b = await readAt(offset, 12);
    const id = vint(b, 0, 4, true);
    if (id === null) return;
    const size = vint(b, id.length, 8, false);
    if (size === null) return;
    const start = offset + id.length + size.length;
    if (size.allOnes) {
      yield { id: id.value, start, end: null };
      return;
    }
    const end = start + size.value;
    if (!Number.isSafeInteger(end)) return;
    yield { id: id.value, start, end: Math.min(end, to) };
    offset = end; // moves forward by at least 2 bytes
  }
}

async function uintAt(readAt: ReadAt, e: Element, to: number): Promise<number | null> {
  const length = (e.end ?? to) - e.start;
  if (length < 1 || length > 8) return null;
  const b = await readAt(e.start, length);
  if (b.length !== length) return null;
  let value = 0;
  for (const byte of b) value = value * 256 + byte;
  return value;
}

async function matroskaSize(readAt: ReadAt, size: number, budget: { steps: number }): Promise<VideoSize> {
  for await (const top of elements(readAt, 0, size, budget)) {
    if (top.id === EBML_HEADER) continue;
    if (top.id !== SEGMENT) return UNKNOWN;
    const segmentEnd = top.end ?? size;
    for await (const child of elements(readAt, top.start, segmentEnd, budget)) {
      if (child.id === CLUSTER) return UNKNOWN; // media data before any Tracks: not a file to dig through
      if (child.id !== TRACKS) continue;
      const tracksEnd = child.end ?? segmentEnd;
      for await (const entry of elements(readAt, child.start, tracksEnd, budget)) {
        if (entry.id !== TRACK_ENTRY) continue;
        const found = await trackEntrySize(readAt, entry, entry.end ?? tracksEnd, budget);
        if (found !== null) return found;
      }
      return UNKNOWN;
    }
    return UNKNOWN;
  }
  return UNKNOWN;
}

async function trackEntrySize(
  readAt: ReadAt,
  entry: Element,
  entryEnd: number,
  budget: { steps: number },
): Promise<VideoSize | null> {
  let type: number | null = null;
  let found: VideoSize | null = null;
  for await (const e of elements(readAt, entry.start, entryEnd, budget)) {
    if (e.id === TRACK_TYPE) type = await uintAt(readAt, e, entryEnd);
    else if (e.id === VIDEO) {
      const videoEnd = e.end ?? entryEnd;
      found = { width: null, height: null };
      for await (const v of elements(readAt, e.start, videoEnd, budget)) {
        if (v.id === PIXEL_WIDTH) found.width = await uintAt(readAt, v, videoEnd);
        else if (v.id === PIXEL_HEIGHT) found.height = await uintAt(readAt, v, videoEnd);
      }
    }
  }
  // Track type 1 is video; an entry with a Video element and no type says the same.
  return found !== null && (type === null || type === 1) ? found : null;
}

// ---- Ogg Theora ----

async function theoraSize(readAt: ReadAt, size: number): Promise<VideoSize> {
  const b = await readAt(0, Math.min(size, OGG_SCAN_BYTES));
  const at = b.indexOf('\x80theora', 0, 'latin1');
  // Version (3 bytes), frame size in macroblocks (2 + 2), then the picture size (3 + 3 bytes).
  if (at < 0 || at + 20 > b.length) return UNKNOWN;
  return { width: b.readUIntBE(at + 14, 3), height: b.readUIntBE(at + 17, 3) };
}
