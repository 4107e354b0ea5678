// Builds the web UI (src/web/) into web-dist/: the TypeScript modules bundled by esbuild into one
// script, plus the stylesheet and the icon, each under a content-hashed name (`app.3f2a9c1b0d.js`)
// so that browsers may keep them for a year; index.html (revalidated on every load) names them.
// Every text file also gets a gzip and a brotli copy beside it, which the server sends to
// browsers that accept them. Run by `npm ci`/`npm install` (the `prepare` script) and by
// `harvester serve` when web-dist/ is missing or older than src/web/. It takes about a second.
//
// Usage: node scripts/build-web.mjs [--out DIR] [--dev]
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_SOURCE_DIR = join(ROOT, 'src', 'web');
export const WEB_DIST_DIR = join(ROOT, 'web-dist');
/** Copied under a hashed name; everything else the page needs is bundled into the script. */
const HASHED_FILES = ['styles.css', 'icon.svg'];
/** Matches a content-hashed file name: the server gives these a year-long, immutable cache life. */
export const HASHED_NAME = /\.[0-9a-f]{10}\.(?:js|css|svg|map)$/;
const COMPRESSIBLE = /\.(?:html|js|css|svg|map|json)$/;

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

function hashedName(name, content) {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 10);
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
}

/** Writes `<file>.gz` and `<file>.br` beside every compressible file of `dir`. */
async function precompress(dir) {
  for (const name of await readdir(dir)) {
    if (!COMPRESSIBLE.test(name)) continue;
    const content = await readFile(join(dir, name));
    await writeFile(join(dir, `${name}.gz`), await gzipAsync(content, { level: 9 }));
    await writeFile(
      join(dir, `${name}.br`),
      await brotliAsync(content, {
        params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: content.length },
      }),
    );
  }
}

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
    const result = await build({
      entryPoints: { app: join(WEB_SOURCE_DIR, 'main.ts') },
      outdir: tmpDir,
      entryNames: '[name].[hash]',
      metafile: true,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
      minify: options.minify ?? true,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'silent',
    });
    const script = Object.keys(result.metafile.outputs).find((out) => out.endsWith('.js'));
    if (!script) throw new Error('esbuild wrote no script');
    // esbuild's [hash] is not hex: rename to the same hex pattern as the other files.
    const scriptContent = await readFile(script);
    const scriptName = hashedName('app.js', scriptContent);
    const mapName = `${scriptName}.map`;
    await writeFile(
      join(tmpDir, scriptName),
      scriptContent.toString('utf8').replace(/sourceMappingURL=\S+$/m, `sourceMappingURL=${mapName}`),
    );
    await rename(`${script}.map`, join(tmpDir, mapName));
    await rm(script);
    let html = await readFile(join(WEB_SOURCE_DIR, 'index.html'), 'utf8');
    html = html.replaceAll('"app.js"', `"${scriptName}"`);
    for (const name of HASHED_FILES) {
      const content = await readFile(join(WEB_SOURCE_DIR, name));
      const hashed = hashedName(name, content);
      await writeFile(join(tmpDir, hashed), content);
      html = html.replaceAll(`"${name}"`, `"${hashed}"`);
    }
    await writeFile(join(tmpDir, 'index.html'), html);
    await precompress(tmpDir);
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
    // index.html is written after everything it names.
    builtMs = (await stat(join(outDir, 'index.html'))).mtimeMs;
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
