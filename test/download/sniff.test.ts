import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileTypeFromBuffer } from 'file-type';
import { ContentError } from '../../src/core/errors.ts';
import { makeMp4, makePng } from '../../src/demo/media.ts';
import { mediaDimensions, sniffMedia } from '../../src/download/sniff.ts';
import { makeJpeg } from '../helpers/fault-server.ts';

const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([10, 0, 5, 0, 0x80, 0, 0]), Buffer.alloc(64)]);
const webp = Buffer.concat([
  Buffer.from('RIFF', 'latin1'),
  Buffer.from([0x24, 0, 0, 0]),
  Buffer.from('WEBPVP8 ', 'latin1'),
  Buffer.alloc(64),
]);

test('the fast path agrees with file-type on PNG, JPEG, GIF and WebP', async () => {
  for (const [bytes, ext] of [
    [makePng('a'), 'png'],
    [makeJpeg(), 'jpg'],
    [gif, 'gif'],
    [webp, 'webp'],
  ] as const) {
    const ours = await sniffMedia(bytes, undefined);
    const theirs = await fileTypeFromBuffer(bytes);
    assert.equal(ours.ext, ext);
    assert.equal(ours.ext, theirs?.ext);
    assert.equal(ours.mime, theirs?.mime);
    assert.equal(ours.kind, 'image');
  }
});

test('videos are recognised by file-type', async () => {
  const mp4 = await sniffMedia(makeMp4('x'), 'application/octet-stream');
  assert.deepEqual(mp4, { ext: 'mp4', mime: 'video/mp4', kind: 'video' });
});

test('non-media is refused with what it looks like and what was claimed', async () => {
  const cases: Array<[string, RegExp]> = [
    ['<!doctype html><html><body>Forbidden</body></html>', /an HTML page \(served as image\/jpeg\)/],
    ['<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', /SVG/],
    ['{"error": "rate limited"}', /JSON/],
    ['Access denied', /text/],
  ];
  for (const [body, pattern] of cases) {
    await assert.rejects(
      sniffMedia(Buffer.from(body), 'image/jpeg; charset=utf-8'),
      (e: unknown) => e instanceof ContentError && pattern.test(e.message),
    );
  }
  await assert.rejects(sniffMedia(Buffer.alloc(0), 'image/png'), /empty body/);
  // A PDF is a real file type, but not media.
  await assert.rejects(
    sniffMedia(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n', 'latin1'), undefined),
    /not an image or video: a pdf file/,
  );
});

test('dimensions come from the head bytes; videos have none', () => {
  assert.deepEqual(mediaDimensions(makePng('d', 33, 21), 'image'), { width: 33, height: 21 });
  assert.deepEqual(mediaDimensions(makeJpeg(24, 16), 'image'), { width: 24, height: 16 });
  assert.deepEqual(mediaDimensions(makeMp4('v'), 'video'), { width: null, height: null });
  assert.deepEqual(mediaDimensions(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'image'), { width: null, height: null });
});
