// Builds everything the package runs: the server and CLI (src/ → dist/ with tsc, relative `.ts`
// imports rewritten to `.js`) and the web UI (src/web/ → web-dist/ with esbuild).
// Run by `npm ci`/`npm install` (the `prepare` script) and at the start of `npm test`.
import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './build-web.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = performance.now();
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  // A half-emitted dist/ must never be run in place of the sources.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  console.error('build: tsc failed; dist/ removed');
  process.exit(result.status ?? 1);
}
await buildWeb({ minify: true });
console.log(`build: dist/ and web-dist/ in ${Math.round(performance.now() - started)} ms`);
