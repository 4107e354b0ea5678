#!/usr/bin/env node
// Entry point of the `harvester` command. It runs the build in dist/ (made by `npm run build`,
// which `npm ci` runs through `prepare`) when that build is current: no source file it was built
// from changed since (dist/build-stamp lists them and is dated when the build started). Otherwise
// — a checkout being edited — it runs the TypeScript sources through tsx's loader, so the command
// never runs stale code. The build starts several times faster and uses some 30 MB less memory
// (no transpiler in the process, one bundle instead of some two hundred modules).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);

/**
 * Whether dist/ may run: it exists and none of the source files it was built from is newer than
 * its stamp (or gone). A source file the build did not use can only matter once a used one imports
 * it, and that import changes the used one. One stat per source file, no directory listing.
 */
function builtIsCurrent() {
  if (process.env.HARVESTER_FROM_SOURCE === '1') return false;
  const stampPath = join(root, 'dist', 'build-stamp');
  let lines;
  let builtAt;
  try {
    lines = readFileSync(stampPath, 'utf8').split('\n');
    builtAt = statSync(stampPath).mtimeMs;
  } catch {
    return false;
  }
  // Line 1 says what the file is; then one source path (relative to the root) a line.
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const source = statSync(join(root, lines[i]), { throwIfNoEntry: false });
    // A source file deleted since the build: stale; no src/ at all: a package that ships only its build.
    if (source === undefined) return !existsSync(join(root, 'src'));
    if (source.mtimeMs > builtAt) return false;
  }
  return true;
}

// `harvester --version` alone is answered here, from package.json as the CLI itself answers it,
// before anything else is loaded.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n`);
} else {
  tuneGarbageCollection();
  const { main } = builtIsCurrent() ? await import('../dist/cli/main.js') : await importSources();
  process.exitCode = await main(argv);
  // When nothing is left to run (every write, close and timer done: 'beforeExit' only fires on an
  // empty event loop), leave without tearing down the JavaScript heap and Node's environment: that
  // teardown cost a one-URL get some 18 ms of CPU (half its exit) and leaves nothing on disk.
  process.once('beforeExit', () => process.exit());
}

/** The CLI from the TypeScript sources, through tsx's loader. */
async function importSources() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

/**
 * Garbage collection tuned for memory (bench/RESULTS.md, "Session 5: memory"). V8 reads
 * both flags whenever it resizes a heap space, so setting them here, before the CLI loads, works
 * without node's command-line flags (which `node bin/harvester.js` would not get).
 * - The young generation stays at its first size (1 MB semi-spaces) instead of growing to 16 MB:
 *   a download's short-lived objects and network read buffers are collected sooner.
 * - The old generation may grow to twice what was live after the last full collection, not up to
 *   4×: a job's heap stays near what it holds.
 */
function tuneGarbageCollection() {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=100');
}
