import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { localDirectoryOutput } from '../../src/output/local-directory.ts';
import { UnsafePathError } from '../../src/output/naming.ts';

let root: string;
let outside: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'harvester-output-'));
  outside = mkdtempSync(join(tmpdir(), 'harvester-outside-'));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('a part written through the sink lands under its final name, never over an existing one', async () => {
  const output = localDirectoryOutput(root);
  const part = await output.sink('cats/google_images').open();
  assert.match(part.name, /\.part$/);
  part.write(Buffer.from('0123456789'));
  await part.finish();
  await part.commit('cats_001.jpg');
  assert.deepEqual(await output.list('cats/google_images'), ['cats_001.jpg']);
  assert.equal(await output.exists('cats/google_images/cats_001.jpg'), true);

  const second = await output.sink('cats/google_images').open();
  second.write(Buffer.from('other'));
  await second.finish();
  await assert.rejects(second.commit('cats_001.jpg'), /already exists/);
  await second.discard();
  assert.equal(readFileSync(join(root, 'cats/google_images/cats_001.jpg'), 'utf8'), '0123456789');
});

test('open reads a whole file or an inclusive byte range, and refuses paths that leave the root', async () => {
  const output = localDirectoryOutput(root);
  mkdirSync(join(root, 'dogs'), { recursive: true });
  writeFileSync(join(root, 'dogs', 'dogs_001.png'), 'abcdefghij');
  const file = await output.open('dogs/dogs_001.png');
  assert.ok(file);
  assert.equal(file.size, 10);
  assert.equal(await text(file.read()), 'abcdefghij');
  assert.equal(await text(file.read({ start: 2, end: 4 })), 'cde');

  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'dogs', 'link.png'));
  assert.equal(await output.open('dogs/link.png'), null);
  assert.equal(await output.open('../' + outside.split('/').pop() + '/secret.txt'), null);
  assert.equal(await output.open('dogs'), null, 'a directory is not a file');
  assert.equal(await output.open('dogs/missing.png'), null);
  await assert.rejects(output.remove('../escape.txt'), UnsafePathError);
});

test('writeAtomic replaces a file whole, list and remove see it, and stale temporaries are swept', async () => {
  const output = localDirectoryOutput(root);
  await output.writeAtomic('birds/manifest.json', '{"a":1}\n');
  await output.writeAtomic('birds/manifest.json', '{"a":2}\n');
  assert.equal(await output.readText('birds/manifest.json'), '{"a":2}\n');
  assert.deepEqual(await output.list('birds'), ['manifest.json']);

  const stale = join(root, 'birds', '.0123456789ab.tmp');
  writeFileSync(stale, 'half');
  const old = new Date(Date.now() - 120_000);
  utimesSync(stale, old, old);
  const fresh = join(root, 'birds', '.ba9876543210.tmp');
  writeFileSync(fresh, 'live');
  await output.sweepTemporaries('birds');
  assert.deepEqual(readdirSync(join(root, 'birds')).sort(), ['.ba9876543210.tmp', 'manifest.json']);

  assert.equal(await output.remove('birds/manifest.json'), true);
  assert.equal(await output.remove('birds/manifest.json'), false);
  assert.equal(await output.readText('birds/manifest.json'), null);
  assert.deepEqual(await output.list('nowhere'), []);
});

test('writeAtomic refuses to write through a symbolic link below the root', async () => {
  const output = localDirectoryOutput(root);
  symlinkSync(outside, join(root, 'planted'));
  await assert.rejects(output.writeAtomic('planted/manifest.json', 'x'), /symbolic link/);
  assert.deepEqual(
    readdirSync(outside).filter((n) => n.startsWith('manifest')),
    [],
  );
});
