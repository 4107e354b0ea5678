// The keep decision on real image files hashed by sharp: copies of one picture judged at the same
// time keep exactly one; a filtered file is not also a near-duplicate; hashes of earlier runs
// (resume) count as kept; a released claim lets the next copy in; `get` jobs and
// NEAR_DUPLICATE_DISTANCE=-1 hash nothing.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/core/config.ts';
import type { JobSpec } from '../../src/core/types.ts';
import { makePicture } from '../../src/demo/media.ts';
import { judgeFile } from '../../src/jobs/judge-file.ts';
import { NearDuplicates } from '../../src/jobs/near-duplicates.ts';

const dir = mkdtempSync(join(tmpdir(), 'harvester-near-dup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SEARCH: JobSpec = { query: 'fox', sources: ['openverse', 'pexels'], limit: 10, type: 'image' };
const config = loadConfig({}, {});
const warnings: string[] = [];
const warn = (message: string): void => void warnings.push(message);

function file(
  key: string,
  width: number,
  height: number,
): { kind: 'image'; width: number; height: number; partPath: string } {
  const partPath = join(dir, `${key}-${width}x${height}.part`);
  writeFileSync(partPath, makePicture(key, width, height));
  return { kind: 'image', width, height, partPath };
}

test('copies of one picture finishing at once: exactly one is kept, other pictures all are', async () => {
  const job = { filters: null, nearDuplicates: new NearDuplicates(SEARCH, config, []), warn };
  const copies = [
    [320, 240],
    [640, 480],
    [160, 120],
    [800, 600],
    [400, 300],
    [1024, 768],
  ].map(([w, h]) => file('red-fox', w!, h!));
  const others = ['owl', 'wolf', 'hare'].map((k) => file(k, 320, 240));
  const judged = await Promise.all([...copies, ...others].map((f) => judgeFile(job, f)));
  const ofCopies = judged.slice(0, copies.length);
  assert.equal(ofCopies.filter((j) => j.status === 'keep').length, 1, JSON.stringify(ofCopies));
  assert.equal(ofCopies.filter((j) => j.status === 'near_duplicate').length, copies.length - 1);
  for (const j of judged.slice(copies.length)) {
    assert.equal(j.status, 'keep');
    assert.match(j.status === 'keep' ? (j.phash ?? '') : '', /^[0-9a-f]{16}$/);
  }
  assert.deepEqual(warnings, []);
});

test('a filtered file is only filtered; a released claim lets the next copy in; resumed hashes count', async () => {
  const big = file('lynx', 640, 480);
  const small = file('lynx', 200, 150);
  const nearDuplicates = new NearDuplicates(SEARCH, config, []);
  const filtered = { filters: { min_width: 300 }, nearDuplicates, warn };
  assert.deepEqual(await judgeFile(filtered, small), { status: 'filtered', reason: 'min_width' });
  const kept = await judgeFile(filtered, big);
  assert.equal(kept.status, 'keep');
  const phash = kept.status === 'keep' ? kept.phash! : '';
  assert.deepEqual(await judgeFile({ ...filtered, filters: null }, small), { status: 'near_duplicate' });
  // The kept file's saving failed afterwards: its claim is released.
  nearDuplicates.release(phash);
  assert.equal((await judgeFile({ ...filtered, filters: null }, small)).status, 'keep');

  // A resumed job starts from the hashes of the files it already has.
  const resumed = new NearDuplicates(SEARCH, config, [null, phash]);
  assert.deepEqual(await judgeFile({ filters: null, nearDuplicates: resumed, warn }, small), {
    status: 'near_duplicate',
  });
});

test('keep-near-duplicates still hashes; get jobs and NEAR_DUPLICATE_DISTANCE=-1 do not', async () => {
  const a = file('heron', 320, 240);
  const b = file('heron', 640, 480);
  const keep = new NearDuplicates({ ...SEARCH, keepNearDuplicates: true }, config, []);
  assert.equal(keep.hashing, true);
  assert.equal(keep.removing, false);
  for (const f of [a, b]) {
    const j = await judgeFile({ filters: null, nearDuplicates: keep, warn }, f);
    assert.equal(j.status, 'keep');
    assert.notEqual(j.status === 'keep' ? j.phash : null, null);
  }
  const get = new NearDuplicates({ ...SEARCH, sources: ['urls'] }, config, []);
  const off = new NearDuplicates(SEARCH, loadConfig({ NEAR_DUPLICATE_DISTANCE: '-1' }, {}), []);
  for (const nd of [get, off]) {
    assert.equal(nd.hashing, false);
    for (const f of [a, b]) {
      assert.deepEqual(await judgeFile({ filters: null, nearDuplicates: nd, warn }, f), {
        status: 'keep',
        phash: null,
        width: f.width,
        height: f.height,
      });
    }
  }
  assert.throws(() => loadConfig({ NEAR_DUPLICATE_DISTANCE: '65' }, {}), /NEAR_DUPLICATE_DISTANCE="65" is invalid/);
});

test('the indexed look-up answers as a comparison with every kept hash would (distances 0 to 12)', () => {
  let seed = 0x2545f491;
  const random32 = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const hex = (h: number, l: number): string => h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
  const bits = (a: string, b: string): number => {
    let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
    let n = 0;
    for (; x > 0n; x &= x - 1n) n++;
    return n;
  };
  for (const distance of [0, 1, 4, 7, 8, 12]) {
    const cfg = loadConfig({ NEAR_DUPLICATE_DISTANCE: String(distance) }, {});
    const seeded = Array.from({ length: 300 }, () => hex(random32(), random32()));
    const index = new NearDuplicates(SEARCH, cfg, seeded);
    const kept = [...seeded];
    for (let i = 0; i < 600; i++) {
      // Half the probes are a kept hash with a few bits flipped (near or just past the distance).
      let probe = hex(random32(), random32());
      if (i % 2 === 0) {
        const [h, l] = [
          Number.parseInt(kept[i % kept.length]!.slice(0, 8), 16),
          Number.parseInt(kept[i % kept.length]!.slice(8), 16),
        ];
        let fh = h;
        let fl = l;
        for (let f = 0; f < (i >> 1) % (distance + 3); f++) {
          const bit = random32() % 64;
          if (bit < 32) fh ^= 1 << bit;
          else fl ^= 1 << (bit - 32);
        }
        probe = hex(fh >>> 0, fl >>> 0);
      }
      const expected = !kept.some((k) => bits(k, probe) <= distance);
      assert.equal(index.claim(probe), expected, `distance ${distance}, probe ${probe}`);
      if (expected) kept.push(probe);
    }
  }
});
