// The tar writer against independent readers: GNU tar and Python's tarfile read what it writes
// (names, sizes, bytes, padding, the end blocks), a size past 8 GiB is encoded in base-256 as
// tarfile decodes it, and a file that changes size while archived fails instead of lying.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, createReadStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { BLOCK, tarChunks, tarHeader, type TarEntry } from '../../../src/output/dataset/tar.ts';

const when = new Date('2026-11-30T12:00:00Z');

async function writeTar(path: string, entries: TarEntry[]): Promise<void> {
  await pipeline(Readable.from(tarChunks(entries)), createWriteStream(path));
}

test('GNU tar and Python tarfile read names, sizes, times and bytes, including sizes on and around block edges', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-tar-'));
  try {
    const sizes = [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK, 70_001];
    const entries: TarEntry[] = sizes.map((size, i) => {
      const data = Buffer.alloc(size, i + 65);
      if (i % 2 === 0) return { name: `k${i}.bin`, size, mtime: when, body: data };
      const file = join(dir, `src-${i}`);
      writeFileSync(file, data);
      return { name: `k${i}.bin`, size, mtime: when, body: () => createReadStream(file, { highWaterMark: 1000 }) };
    });
    const tar = join(dir, 'a.tar');
    await writeTar(tar, entries);
    const bytes = readFileSync(tar);
    assert.equal(bytes.length % BLOCK, 0);
    assert.deepEqual(
      execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).trim().split('\n'),
      sizes.map((_, i) => `k${i}.bin`),
    );
    const read = JSON.parse(
      execFileSync(
        'python3',
        [
          '-c',
          `import json, sys, tarfile
with tarfile.open(sys.argv[1], 'r:') as t:
    print(json.dumps([[m.name, m.size, m.mtime, m.mode, m.type.decode(), t.extractfile(m).read().decode('latin-1')] for m in t.getmembers()]))`,
          tar,
        ],
        { encoding: 'utf8' },
      ),
    ) as [string, number, number, number, string, string][];
    assert.equal(read.length, sizes.length);
    for (const [i, [name, size, mtime, mode, type, body]] of read.entries()) {
      assert.equal(name, `k${i}.bin`);
      assert.equal(size, sizes[i]);
      assert.equal(mtime, when.getTime() / 1000);
      assert.equal(mode, 0o644);
      assert.equal(type, '0');
      assert.equal(body, String.fromCharCode(i + 65).repeat(sizes[i]!));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a size of 8 GiB or more is written in base-256, which tarfile decodes', () => {
  const size = 8 * 1024 ** 3 + 12345;
  const header = tarHeader('big.mp4', size, when);
  const parsed = execFileSync(
    'python3',
    [
      '-c',
      `import sys, tarfile\nt = tarfile.TarInfo.frombuf(sys.stdin.buffer.read(), 'utf-8', 'strict')\nprint(t.name, t.size)`,
    ],
    { input: header, encoding: 'utf8' },
  ).trim();
  assert.equal(parsed, `big.mp4 ${size}`);
});

test('names that are not short printable ASCII are refused', () => {
  assert.throws(() => tarHeader('x'.repeat(101), 1, when), /1–100 printable ASCII/);
  assert.throws(() => tarHeader('a b', 1, when), /printable ASCII/);
  assert.throws(() => tarHeader('é.jpg', 1, when), /printable ASCII/);
  assert.doesNotThrow(() => tarHeader('x'.repeat(100), 1, when));
});

test('a body longer or shorter than its declared size fails the archive', async () => {
  const drain = async (entries: TarEntry[]): Promise<void> => {
    for await (const _ of tarChunks(entries));
  };
  await assert.rejects(
    drain([{ name: 'a', size: 3, mtime: when, body: () => Readable.from([Buffer.from('abcd')]) }]),
    /grew while it was archived/,
  );
  await assert.rejects(
    drain([{ name: 'a', size: 5, mtime: when, body: () => Readable.from([Buffer.from('abcd')]) }]),
    /shrank while it was archived \(4 of 5 bytes\)/,
  );
  await assert.rejects(drain([{ name: 'a', size: 5, mtime: when, body: Buffer.from('abcd') }]), /is 4 bytes, not 5/);
});
