// Builds everything the package runs: the server and CLI (src/ → dist/, bundled by esbuild) and the
// web UI (src/web/ → web-dist/ with esbuild). Run by `npm ci`/`npm install` (the `prepare` script)
// and at the start of `npm test` (which type-checks with tsc on its own: this build does not).
//
// The CLI is one entry (dist/cli/main.js) with code splitting: what every command needs is in the
// entry and a few shared chunks, and each part loaded on demand (the engine, the runner, the
// server, the queue) is a chunk of its own under dist/chunks/, so a start-up reads a handful of
// files instead of resolving some two hundred modules. Small pure-JavaScript packages on the
// start-up path are bundled in; native ones (better-sqlite3, sharp), those that read files beside
// their own code (bullmq's Lua scripts), those only some commands load, and what the sources take
// with createRequire (parts of undici, dotenv, cheerio) stay in node_modules/.
//
// Every output file sits exactly two levels below the package root (dist/cli/, dist/chunks/):
// modules that find the package's own files from `import.meta.url` (the web UI's directory, the
// demo's fixtures) count on that depth, and the build checks it.
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildWeb } from './build-web.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** Dependencies bundled into dist/: plain JavaScript, on the start-up path of common commands. */
const BUNDLED = new Set(['commander', 'image-size', '@streamparser/json']);
/**
 * Written last, dated a second before the build started: bin/harvester.js runs dist/ only when no
 * source file is newer, so a file saved while the build ran is never taken for built (file times
 * come from a coarser clock than Date.now(), hence the margin).
 */
const BUILD_STAMP = 'build-stamp';

const started = performance.now();
const startedAt = new Date(Date.now() - 1000);
rmSync(dist, { recursive: true, force: true });
const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The files of the package (not of node_modules/) the build read, relative to the root. */
let sources;
try {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    outdir: 'dist',
    outbase: 'src',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    external: Object.keys(dependencies).filter((name) => !BUNDLED.has(name)),
    // Bundled CommonJS packages call require() for Node's own modules; ESM output has none. Made
    // on the first call: most chunks never call it.
    banner: {
      js: [
        "import { createRequire as __harvesterCreateRequire } from 'node:module';",
        'let __harvesterRequire;',
        'const require = (id) => (__harvesterRequire ??= __harvesterCreateRequire(import.meta.url))(id);',
      ].join('\n'),
    },
  });
  for (const file of Object.keys(result.metafile.outputs)) {
    if (relative(dist, join(root, file)).split(sep).length !== 2)
      throw new Error(`${file} is not two levels below the package root`);
  }
  sources = Object.keys(result.metafile.inputs)
    .filter((file) => !file.startsWith('node_modules/'))
    .sort();
} catch (error) {
  // A half-emitted dist/ must never be run in place of the sources.
  rmSync(dist, { recursive: true, force: true });
  console.error(`build: esbuild failed; dist/ removed\n${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const stamp = join(dist, BUILD_STAMP);
writeFileSync(
  stamp,
  [
    `dist/ built from these files as of ${startedAt.toISOString()} (bin/harvester.js runs it while none is newer):`,
    ...sources,
    '',
  ].join('\n'),
);
utimesSync(stamp, startedAt, startedAt);
await buildWeb({ minify: true });
console.log(`build: dist/ and web-dist/ in ${Math.round(performance.now() - started)} ms`);
