// Builds the web UI (src/web/) into web-dist/: the TypeScript modules bundled by esbuild into one
// app.js, plus index.html, styles.css and the icon copied as they are. Run by `npm ci`/`npm
// install` (the `prepare` script) and by `harvester serve` when web-dist/ is missing or older
// than src/web/. It takes well under a second.
//
// Usage: node scripts/build-web.mjs [--out DIR] [--dev]
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_SOURCE_DIR = join(ROOT, 'src', 'web');
export const WEB_DIST_DIR = join(ROOT, 'web-dist');
/** Copied unchanged; everything else the page needs is bundled into app.js. */
const STATIC_FILES = ['index.html', 'styles.css', 'icon.svg'];

/**
 * Builds the UI into `outDir` (default web-dist/). The files are written to a sibling temporary
 * directory and swapped in, so a server reading `outDir` never sees half a build.
 * @param {{ outDir?: string, minify?: boolean }} [options]
 * @returns {Promise<{ outDir: string, ms: number }>}
 */
export async function buildWeb(options = {}) {
  const started = performance.now();
  const outDir = resolve(options.outDir ?? WEB_DIST_DIR);
  const tmpDir = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  const { build } = await import('esbuild');
  try {
    await mkdir(tmpDir, { recursive: true });
    await build({
      entryPoints: [join(WEB_SOURCE_DIR, 'main.ts')],
      outfile: join(tmpDir, 'app.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
      minify: options.minify ?? true,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'silent',
    });
    for (const name of STATIC_FILES) await copyFile(join(WEB_SOURCE_DIR, name), join(tmpDir, name));
    await rm(outDir, { recursive: true, force: true });
    await rename(tmpDir, outDir);
  } catch (error) {
    await rm(tmpDir, { recursive: true, force: true });
    throw error;
  }
  return { outDir, ms: Math.round(performance.now() - started) };
}

/** True when `outDir` lacks the UI or any file of src/web/ is newer than its build. */
export async function webBuildIsStale(outDir = WEB_DIST_DIR) {
  let builtMs;
  try {
    builtMs = (await stat(join(outDir, 'app.js'))).mtimeMs;
    await stat(join(outDir, 'index.html'));
  } catch {
    return true;
  }
  for (const entry of await readdir(WEB_SOURCE_DIR, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if ((await stat(path)).mtimeMs > builtMs) return true;
  }
  return false;
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const outDir = outIndex >= 0 ? args[outIndex + 1] : undefined;
  try {
    const { outDir: written, ms } = await buildWeb({ outDir, minify: !args.includes('--dev') });
    console.log(`build-web: built ${written} in ${ms} ms`);
  } catch (error) {
    // `npm ci` runs this as `prepare`: a failure here must not stop the install of everything
    // else. `harvester serve` builds again (and reports the error) when the UI is missing.
    console.error(`build-web: the web UI was not built: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = process.env.npm_lifecycle_event === 'prepare' ? 0 : 1;
  }
}
