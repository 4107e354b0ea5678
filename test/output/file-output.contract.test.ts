// The contract every FileOutput implementation must pass (src/output/file-output.ts). Each
// implementation joins IMPLEMENTATIONS with a way to open a fresh, empty output and a back door
// into its storage: what another process, a killed write or a hostile user leaves there without
// going through the interface. Tests that plant symbolic links run where the storage has them.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
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
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileOutput } from '../../src/output/file-output.ts';
import { localDirectoryOutput } from '../../src/output/local-directory.ts';

/** Direct access to an implementation's storage, past the interface. */
interface BackDoor {
  /** Stores `text` at `path` (relative to the root), as another writer would. */
  put(path: string, text: string): void;
  /** Leaves a temporary of a writeAtomic killed `ageMs` ago in `dir`; returns its name. */
  leaveTemporary(dir: string, name: string, ageMs: number): void;
  /** Names in `dir` as the storage holds them (empty when there is no such directory). */
  names(dir: string): string[];
  /** Plants a symbolic link at `path` to a directory (`dir`) or a file (`file`) outside the root. */
  plantLink?(path: string, to: 'dir' | 'file'): void;
  /** Names that something wrote outside the root (an escape). */
  outside(): string[];
}

interface Opened {
  output: FileOutput;
  door: BackDoor;
}

interface Implementation {
  name: string;
  open(): Opened;
}

const scratch = mkdtempSync(join(tmpdir(), 'harvester-contract-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let opened = 0;

const IMPLEMENTATIONS: Implementation[] = [
  {
    name: 'local directory',
    open() {
      const base = join(scratch, String(++opened));
      const root = join(base, 'root');
      const outsideDir = join(base, 'outside');
      mkdirSync(root, { recursive: true });
      mkdirSync(outsideDir);
      writeFileSync(join(outsideDir, 'secret.txt'), 'secret');
      const abs = (path: string): string => join(root, ...path.split('/'));
      return {
        output: localDirectoryOutput(root),
        door: {
          put(path, text) {
            mkdirSync(dirname(abs(path)), { recursive: true });
            writeFileSync(abs(path), text);
          },
          leaveTemporary(dir, name, ageMs) {
            mkdirSync(abs(dir), { recursive: true });
            writeFileSync(join(abs(dir), name), '{"half": ');
            const when = new Date(Date.now() - ageMs);
            utimesSync(join(abs(dir), name), when, when);
          },
          names: (dir) => (existsSync(abs(dir)) ? readdirSync(abs(dir)).sort() : []),
          plantLink(path, to) {
            mkdirSync(dirname(abs(path)), { recursive: true });
            symlinkSync(to === 'dir' ? outsideDir : join(outsideDir, 'secret.txt'), abs(path));
          },
          outside: () => readdirSync(outsideDir).filter((name) => name !== 'secret.txt'),
        },
      };
    },
  },
];

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes `content` through a sink of `dir` and commits it as `name`. */
async function save(output: FileOutput, dir: string, name: string, content: string): Promise<void> {
  const part = await output.sink(dir).open();
  part.write(Buffer.from(content));
  await part.finish();
  await part.commit(name);
}

/** Paths that name something outside the root however they are spelled. */
const ESCAPES = ['../escape.txt', 'cats/../../escape.txt', '/etc/passwd', 'cats/\0.jpg'];

for (const implementation of IMPLEMENTATIONS) {
  describe(`FileOutput contract: ${implementation.name}`, () => {
    test('a part is listed under its .part name while written, then committed under its final name', async () => {
      const { output, door } = implementation.open();
      const part = await output.sink('cats/google_images').open();
      // Reconcile finds the leftovers of a crash by this name in the directory.
      assert.match(part.name, /\.part$/);
      assert.deepEqual(await output.list('cats/google_images'), [part.name]);
      part.write(Buffer.from('0123456789'));
      await part.finish();
      // The finished part is a local file until commit (the near-duplicate check reads it there).
      assert.equal(readFileSync(part.path, 'utf8'), '0123456789');
      await part.commit('cats_001.jpg');
      assert.deepEqual(await output.list('cats/google_images'), ['cats_001.jpg']);
      assert.equal(await output.exists('cats/google_images/cats_001.jpg'), true);
      assert.equal(await output.exists('cats/google_images/cats_002.jpg'), false);
      assert.deepEqual(door.names('cats/google_images'), ['cats_001.jpg']);
    });

    test('a commit never replaces an existing file, and a discarded part leaves nothing', async () => {
      const { output, door } = implementation.open();
      await save(output, 'dogs', 'dogs_001.png', 'first');
      const second = await output.sink('dogs').open();
      second.write(Buffer.from('second'));
      await second.finish();
      await assert.rejects(second.commit('dogs_001.png'), /already exists/);
      await second.discard();
      const third = await output.sink('dogs').open();
      third.write(Buffer.from('third'));
      await third.discard();
      assert.deepEqual(door.names('dogs'), ['dogs_001.png']);
      const file = await output.open('dogs/dogs_001.png');
      assert.ok(file);
      assert.equal(await text(file.read()), 'first');
    });

    test('a commit refuses a name that is not a plain file name', async () => {
      const { output, door } = implementation.open();
      const part = await output.sink('birds').open();
      part.write(Buffer.from('x'));
      await part.finish();
      await assert.rejects(part.commit('../birds_001.png'));
      await part.discard();
      assert.deepEqual(door.names(''), ['birds']);
      assert.deepEqual(door.names('birds'), []);
    });

    test('open gives the size and reads the whole file or an inclusive byte range', async () => {
      const { output, door } = implementation.open();
      door.put('dogs/dogs_001.png', 'abcdefghij');
      const file = await output.open('dogs/dogs_001.png');
      assert.ok(file);
      assert.equal(file.size, 10);
      assert.ok(file.mtimeMs > 0);
      assert.equal(await text(file.read()), 'abcdefghij');
      assert.equal(await text(file.read({ start: 2, end: 4 })), 'cde');
      assert.equal(await text(file.read({ start: 9, end: 9 })), 'j');
      assert.equal(await text(file.read({ start: 0, end: 9 })), 'abcdefghij');
    });

    test('open is null for a missing file, a directory and any path that leaves the root', async () => {
      const { output, door } = implementation.open();
      door.put('dogs/dogs_001.png', 'x');
      assert.equal(await output.open('dogs/missing.png'), null);
      assert.equal(await output.open('dogs'), null, 'a directory is not a file');
      assert.equal(await output.open(''), null);
      for (const path of ESCAPES) assert.equal(await output.open(path), null, path);
    });

    test('copyTo puts the bytes at a new path outside the output and never replaces one', async () => {
      const { output, door } = implementation.open();
      door.put('cats/cats_001.jpg', 'meow');
      const file = await output.open('cats/cats_001.jpg');
      assert.ok(file);
      const exportDir = mkdtempSync(join(scratch, 'export-'));
      const destination = join(exportDir, 'cats_001.jpg');
      assert.ok(['linked', 'copied'].includes(await file.copyTo(destination)));
      assert.equal(readFileSync(destination, 'utf8'), 'meow');
      const taken = join(exportDir, 'taken.jpg');
      writeFileSync(taken, 'mine');
      await assert.rejects(file.copyTo(taken));
      assert.equal(readFileSync(taken, 'utf8'), 'mine');
    });

    test('remove deletes a file once; list and exists see it go', async () => {
      const { output } = implementation.open();
      await output.writeAtomic('birds/manifest.json', '{}\n');
      assert.equal(await output.remove('birds/manifest.json'), true);
      assert.equal(await output.remove('birds/manifest.json'), false);
      assert.equal(await output.exists('birds/manifest.json'), false);
      assert.deepEqual(await output.list('birds'), []);
      assert.deepEqual(await output.list('nowhere'), []);
    });

    test('writeAtomic replaces a file whole and readText reads it back', async () => {
      const { output, door } = implementation.open();
      await output.writeAtomic('birds/manifest.json', '{"a":1}\n');
      await output.writeAtomic('birds/manifest.json', '{"a":2}\n');
      assert.equal(await output.readText('birds/manifest.json'), '{"a":2}\n');
      assert.equal(await output.readText('birds/manifest.csv'), null);
      assert.deepEqual(door.names('birds'), ['manifest.json']);
      // Concurrent writers of one file: the reader sees one of them whole.
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => output.writeAtomic('birds/manifest.json', `${'x'.repeat(1000)}${i}\n`)),
      );
      assert.match((await output.readText('birds/manifest.json')) ?? '', /^x{1000}\d\n$/);
      assert.deepEqual(door.names('birds'), ['manifest.json']);
    });

    test('sweepTemporaries removes stale leftovers of a killed write, and nothing else', async () => {
      const { output, door } = implementation.open();
      await output.writeAtomic('birds/manifest.json', '{}\n');
      door.leaveTemporary('birds', '.0123456789ab.tmp', 120_000);
      door.leaveTemporary('birds', '.ba9876543210.tmp', 0); // may be another process's write in progress
      door.leaveTemporary('birds', '.notes.tmp', 120_000); // not a name writeAtomic uses
      door.put('birds/photo.tmp', 'x');
      await output.sweepTemporaries('birds');
      assert.deepEqual(door.names('birds'), ['.ba9876543210.tmp', '.notes.tmp', 'manifest.json', 'photo.tmp']);
      await output.sweepTemporaries('nowhere');
      await output.sweepTemporaries('../escape');
    });

    test('every path that leaves the root is refused, and nothing lands outside it', async () => {
      const { output, door } = implementation.open();
      for (const path of ESCAPES) {
        assert.equal(await output.exists(path), false, path);
        assert.deepEqual(await output.list(path), [], path);
        await assert.rejects(output.remove(path), path);
        await assert.rejects(output.writeAtomic(path, 'x'), path);
        await assert.rejects(async () => output.sink(path).open(), path);
      }
      assert.deepEqual(door.outside(), []);
    });

    test('a symbolic link planted below the root is never followed out of it', async (t) => {
      const { output, door } = implementation.open();
      if (door.plantLink === undefined) {
        t.skip('this storage has no symbolic links');
        return;
      }
      door.plantLink('planted', 'dir');
      door.plantLink('cats/secret.jpg', 'file');
      assert.equal(await output.open('planted/secret.txt'), null);
      assert.equal(await output.open('cats/secret.jpg'), null);
      await assert.rejects(output.writeAtomic('planted/manifest.json', 'x'), /symbolic link/);
      await assert.rejects(output.sink('planted').open(), /symbolic link/);
      await assert.rejects(output.sink('planted/google_images').open(), /symbolic link/);
      assert.deepEqual(door.outside(), []);
    });
  });
}
