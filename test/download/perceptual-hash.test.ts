// The perceptual hash on real image files: the same picture resized, recompressed as JPEG or
// slightly cropped stays within 4 bits; different pictures are far apart. Pictures are drawn as
// SVG and rendered and transformed by sharp, as files on disk. None is mirror-symmetric: a
// perfectly symmetric picture has many DCT coefficients near zero whose bits flip on any noise
// (a known limit of pHash; photographs are not symmetric to the pixel).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { hammingDistance, phashOfFile, phashOfPixels } from '../../src/download/perceptual-hash.ts';

const dir = mkdtempSync(join(tmpdir(), 'harvester-phash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SCENES: Record<string, string> = {
  hills:
    '<rect width="640" height="480" fill="#7ab"/><circle cx="480" cy="110" r="60" fill="#fd5"/><path d="M0 330 Q160 200 320 320 T640 300 V480 H0Z" fill="#364"/><rect x="90" y="250" width="60" height="90" fill="#a42"/>',
  city: '<rect width="640" height="480" fill="#223"/><rect x="40" y="140" width="90" height="340" fill="#889"/><rect x="170" y="60" width="120" height="420" fill="#aab"/><rect x="330" y="200" width="80" height="280" fill="#667"/><rect x="450" y="100" width="150" height="380" fill="#99a"/>',
  face: '<rect width="640" height="480" fill="#eee"/><ellipse cx="290" cy="250" rx="170" ry="210" fill="#c96"/><rect x="470" y="300" width="120" height="180" fill="#457"/><circle cx="255" cy="190" r="28" fill="#222"/><circle cx="385" cy="190" r="28" fill="#222"/><path d="M230 330 Q320 400 410 330" stroke="#511" stroke-width="18" fill="none"/>',
  boat: '<rect width="640" height="480" fill="#9cf"/><rect y="300" width="640" height="180" fill="#147"/><path d="M120 300 L420 300 L370 360 L170 360Z" fill="#fff"/><path d="M260 60 L260 290 L390 290Z" fill="#f84"/>',
};

async function scene(name: string): Promise<string> {
  const path = join(dir, `${name}.png`);
  await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">${SCENES[name]}</svg>`))
    .png()
    .toFile(path);
  return path;
}

test('resized, recompressed and slightly cropped copies stay within distance 4', async () => {
  for (const name of Object.keys(SCENES)) {
    const original = await scene(name);
    const base = await phashOfFile(original);
    assert.match(base, /^[0-9a-f]{16}$/);
    const variants: Record<string, Sharp> = {
      half: sharp(original).resize(320, 240),
      thumbnail: sharp(original).resize(160, 120).jpeg({ quality: 70 }),
      jpeg40: sharp(original).jpeg({ quality: 40 }),
      webp: sharp(original).resize(1024, 768).webp({ quality: 50 }),
      trim: sharp(original).extract({ left: 6, top: 5, width: 628, height: 470 }),
    };
    for (const [how, image] of Object.entries(variants)) {
      const path = join(dir, `${name}-${how}.img`);
      await image.toFile(path);
      const distance = hammingDistance(base, await phashOfFile(path));
      assert.ok(distance <= 4, `${name} ${how}: distance ${distance}`);
    }
  }
});

test('different pictures are far apart', async () => {
  const hashes = await Promise.all(
    Object.keys(SCENES).map(async (n) => [n, await phashOfFile(await scene(n))] as const),
  );
  for (const [i, [a, ha]] of hashes.entries()) {
    for (const [b, hb] of hashes.slice(i + 1))
      assert.ok(hammingDistance(ha, hb) > 12, `${a} vs ${b}: ${hammingDistance(ha, hb)}`);
  }
});

test('hamming distance and the pixel-level hash', () => {
  assert.equal(hammingDistance('0000000000000000', 'ffffffffffffffff'), 64);
  assert.equal(hammingDistance('8000000000000001', '0000000000000000'), 2);
  assert.throws(() => phashOfPixels(new Uint8Array(10)), /expected 1024 grey pixels/);
  const flat = phashOfPixels(new Uint8Array(1024).fill(128));
  assert.match(flat, /^[0-9a-f]{16}$/);
});
