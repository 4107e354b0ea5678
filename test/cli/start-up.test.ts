// How bin/harvester.js starts: `--version` answered before anything loads, and the choice between
// the build in dist/ and the TypeScript sources (never stale code in a checkout being edited).
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { BIN, runCli } from './run-cli.ts';

const REPO = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const root = mkdtempSync(join(tmpdir(), 'harvester-cli-start-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('harvester --version', () => {
  test('prints the version of package.json, alone (answered by bin) and beside other flags (by the CLI)', async () => {
    for (const args of [['--version'], ['-V'], ['--version', '--help']]) {
      const r = await runCli(args, { cwd: root });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${VERSION}\n`, args.join(' '));
      assert.equal(r.stderr, '');
    }
  });
});

describe('bin/harvester.js: the build or the sources', () => {
  let n = 0;
  const hourAgo = new Date(Date.now() - 3_600_000);
  const minuteAgo = new Date(Date.now() - 60_000);
  /**
   * A package of two one-line CLIs: dist/cli/main.js prints "build", src/cli/main.ts prints
   * "sources"; the stamp lists src/cli/main.ts and src/core/a.ts and is dated a minute ago, the
   * sources an hour ago.
   */
  function fakePackage(): string {
    const dir = join(root, `p${++n}`);
    for (const sub of ['bin', 'dist/cli', 'src/cli', 'src/core']) mkdirSync(join(dir, sub), { recursive: true });
    copyFileSync(BIN, join(dir, 'bin', 'harvester.js'));
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', version: '9.9.9' }));
    const cli = (what: string): string =>
      `export async function main() { process.stdout.write('${what}\\n'); return 0; }\n`;
    writeFileSync(join(dir, 'dist', 'cli', 'main.js'), cli('build'));
    writeFileSync(join(dir, 'src', 'cli', 'main.ts'), cli('sources'));
    writeFileSync(join(dir, 'src', 'core', 'a.ts'), 'export const a = 1;\n');
    for (const file of ['src/cli/main.ts', 'src/core/a.ts']) utimesSync(join(dir, file), hourAgo, hourAgo);
    writeFileSync(join(dir, 'dist', 'build-stamp'), 'dist/ built from:\nsrc/cli/main.ts\nsrc/core/a.ts\n');
    utimesSync(join(dir, 'dist', 'build-stamp'), minuteAgo, minuteAgo);
    return dir;
  }
  async function ran(dir: string, env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'bin', 'harvester.js'), 'jobs'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return stdout.trim();
  }

  test('runs the build while no source it was built from is newer than its stamp', async () => {
    assert.equal(await ran(fakePackage()), 'build');
  });

  test('runs the sources when a source was changed, deleted, or the stamp is missing, or when asked', async () => {
    const changed = fakePackage();
    writeFileSync(join(changed, 'src', 'core', 'a.ts'), 'export const a = 2;\n');
    assert.equal(await ran(changed), 'sources');

    const deleted = fakePackage();
    rmSync(join(deleted, 'src', 'core', 'a.ts'));
    assert.equal(await ran(deleted), 'sources');

    const unstamped = fakePackage();
    rmSync(join(unstamped, 'dist', 'build-stamp'));
    assert.equal(await ran(unstamped), 'sources');

    assert.equal(await ran(fakePackage(), { HARVESTER_FROM_SOURCE: '1' }), 'sources');
  });

  test('a new source file no built file imports leaves the build current; a package without src/ runs its build', async () => {
    const added = fakePackage();
    writeFileSync(join(added, 'src', 'core', 'b.ts'), 'export const b = 1;\n');
    assert.equal(await ran(added), 'build');

    const installed = fakePackage();
    rmSync(join(installed, 'src'), { recursive: true });
    assert.equal(await ran(installed), 'build');
  });
});
