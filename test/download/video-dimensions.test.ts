// A video's picture size from its container header: MP4 (fast start or not, track header v0/v1,
// rotated, audio track first, 64-bit box sizes, size only in the sample entry), WebM (sized and
// live-recorded unknown sizes), Ogg Theora; and hostile input — every truncation of those files,
// random garbage, random corruption — gives nulls or a plausible size, never an error, never a
// read outside the file, never a hang.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeMp4, makePng } from '../../src/demo/media.ts';
import { videoSizeOf, videoSizeOfFile, type VideoSize } from '../../src/download/video-dimensions.ts';
import { mp4WithSize, oggTheoraWithSize, webmWithSize } from '../helpers/video-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'harvester-video-size-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The size of `bytes`, through a reader that fails the test if it is asked for anything outside them. */
async function sizeOf(bytes: Buffer): Promise<VideoSize & { reads: number }> {
  let reads = 0;
  const found = await videoSizeOf(async (offset, length) => {
    reads++;
    assert.ok(Number.isSafeInteger(offset) && offset >= 0, `read at ${offset}`);
    assert.ok(length > 0 && length <= 64 * 1024, `read of ${length} bytes`);
    return bytes.subarray(offset, offset + length);
  }, bytes.length);
  return { ...found, reads };
}

const CASES: [string, Buffer, number, number][] = [
  ['mp4, fast start', mp4WithSize('a', 1920, 1080), 1920, 1080],
  ['mp4, moov after mdat', mp4WithSize('b', 1280, 720, { moovLast: true, mediaBytes: 300_000 }), 1280, 720],
  ['mp4, track header version 1', mp4WithSize('c', 640, 360, { version1: true }), 640, 360],
  ['mp4, portrait phone video (quarter turn)', mp4WithSize('d', 1920, 1080, { rotate90: true }), 1080, 1920],
  ['mp4, audio track first', mp4WithSize('e', 854, 480, { audioFirst: true }), 854, 480],
  ['mp4, 64-bit mdat size', mp4WithSize('f', 3840, 2160, { largeMdat: true, moovLast: true }), 3840, 2160],
  ['mp4, size only in the sample entry', mp4WithSize('g', 720, 576, { noTkhdSize: true, codec: 'hvc1' }), 720, 576],
  ['webm', webmWithSize('h', 1280, 720), 1280, 720],
  [
    'webm, live recording (unknown sizes), audio first',
    webmWithSize('i', 640, 480, { live: true, audioFirst: true }),
    640,
    480,
  ],
  ['ogg theora', oggTheoraWithSize('j', 480, 270), 480, 270],
];

test('the picture size of every container kind read here', async () => {
  for (const [name, bytes, width, height] of CASES) {
    const found = await sizeOf(bytes);
    assert.deepEqual({ width: found.width, height: found.height }, { width, height }, name);
    assert.ok(found.reads < 40, `${name}: ${found.reads} reads`);
    const path = join(dir, `${name.replace(/\W+/g, '-')}.bin`);
    writeFileSync(path, bytes);
    assert.deepEqual(await videoSizeOfFile(path), { width, height }, `${name} from a file`);
  }
  // No size in it: the demo's minimal MP4 (no moov), an image, nothing, a missing file.
  for (const bytes of [makeMp4('x', 9000), makePng('p', 10, 10), Buffer.alloc(0)]) {
    assert.deepEqual(await videoSizeOf(async (o, l) => bytes.subarray(o, o + l), bytes.length), {
      width: null,
      height: null,
    });
  }
  assert.deepEqual(await videoSizeOfFile(join(dir, 'missing.mp4')), { width: null, height: null });
});

test('hostile input: truncations, garbage and corruption end with nulls or a plausible size', async () => {
  let seed = 0x9e3779b9;
  const random = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const check = async (bytes: Buffer, label: string): Promise<void> => {
    const found = await sizeOf(bytes);
    const { width, height } = found;
    assert.ok(
      (width === null && height === null) ||
        (Number.isInteger(width) &&
          Number.isInteger(height) &&
          width! > 0 &&
          height! > 0 &&
          width! <= 65535 &&
          height! <= 65535),
      `${label}: ${JSON.stringify(found)}`,
    );
    assert.ok(found.reads <= 4096 * 6, `${label}: ${found.reads} reads`);
  };
  for (const [name, bytes] of CASES) {
    // Every truncation (of the header part; past it the answer cannot change).
    for (let n = 0; n <= Math.min(bytes.length, 1200); n++) await check(bytes.subarray(0, n), `${name} cut at ${n}`);
    // Random corruption: a few bytes changed, many times.
    for (let round = 0; round < 300; round++) {
      const copy = Buffer.from(bytes);
      for (let k = 0; k < 1 + random(6); k++) copy[random(Math.min(copy.length, 1200))] = random(256);
      await check(copy, `${name} corrupted (round ${round})`);
    }
  }
  // Garbage after each magic: boxes and elements that claim anything.
  const magics = [
    Buffer.from('\0\0\0\x18ftypisom', 'latin1'),
    Buffer.from([0x1a, 0x45, 0xdf, 0xa3]),
    Buffer.from('OggS'),
  ];
  for (const magic of magics) {
    for (let round = 0; round < 300; round++) {
      const tail = Buffer.alloc(random(600));
      for (let i = 0; i < tail.length; i++) tail[i] = random(256);
      await check(Buffer.concat([magic, tail]), `garbage after ${magic.toString('hex')} (round ${round})`);
    }
  }
  // Boxes that nest into themselves without end and loops of zero-length elements stay bounded.
  const deep = Buffer.alloc(64 * 1024);
  deep.write('\0\0\0\x08ftyp', 0, 'latin1');
  for (let at = 8; at + 8 <= deep.length; at += 8) {
    deep.writeUInt32BE(8, at);
    deep.write('free', at + 4, 'latin1');
  }
  await check(deep, 'thousands of empty boxes');
});
