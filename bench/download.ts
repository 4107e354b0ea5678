// Download benchmark (run by hand, not a test):
//   node --import tsx bench/download.ts [--rounds 3] [--files 2000] [--no-big]
// A local server (its own process) answers each request after 20 ms with a distinct 64 KiB file.
// In the same run, the same 2,000 URLs are fetched with 32 transfers in flight by:
//   aria2c -j 32 -x1 …, curl --parallel --parallel-max 32 …, Harvester's downloadFile (a worker
//   process), and the real engine through the CLI (`harvester get --input urls.txt`,
//   MAX_DOWNLOADS_PER_SOURCE=32, MAX_CONNECTIONS_PER_HOST=32).
// Each is measured by /usr/bin/time (wall, user+sys CPU, peak RSS) and checked (2,000 files of
// the right size). Then one 1 GiB file through downloadFile, the CLI and aria2c. The figures go
// to the "## Downloads" section of bench/RESULTS.md (other sections are left alone).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIG_BYTES,
  CONCURRENCY,
  FILE_BYTES,
  LATENCY_MS,
  ROOT,
  TSX,
  countFiles,
  median,
  startMediaServer,
  timed as timedIn,
} from './harness.ts';

// Outside the checkout: the outputs are large, and the bundled worker must not be linted.
const TMP = join(tmpdir(), 'harvester-bench-download');
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = flag('--rounds', 3);
const BIG_ROUNDS = flag('--big-rounds', 2);
const FILES = flag('--files', 2000);

interface Measure {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  files: number;
  note?: string;
}

function startServer() {
  return startMediaServer({
    LATENCY_MS: String(LATENCY_MS),
    FILE_BYTES: String(FILE_BYTES),
    BIG_BYTES: String(BIG_BYTES),
  });
}

const timed = (command: string, commandArgs: string[], env: NodeJS.ProcessEnv = process.env) =>
  timedIn(TMP, command, commandArgs, env);

const OUTPUT_DIRS = ['out-aria2c', 'out-curl', 'out-lib', 'out-bundled', 'out-cli'];

/**
 * An empty output directory, after removing every tool's earlier output and flushing dirty
 * pages (`sync`): otherwise one tool pays for the write-back of the gigabyte the previous one wrote.
 */
function freshDir(name: string): string {
  for (const other of OUTPUT_DIRS) rmSync(join(TMP, other), { recursive: true, force: true });
  execFileSync('sync');
  const dir = join(TMP, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const cliEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...process.env,
  ALLOW_PRIVATE_NETWORKS: 'true',
  MAX_DOWNLOADS_PER_SOURCE: String(CONCURRENCY),
  MAX_CONNECTIONS_PER_HOST: String(CONCURRENCY),
  URLS_TIMEOUT: '600',
  DOWNLOAD_TIMEOUT: '600',
  DATA_DIR: join(TMP, 'cli-data'),
  LOG_DIR: join(TMP, 'cli-logs'),
  ...extra,
});

const BUNDLED_WORKER = join(TMP, 'download-worker.mjs');

/** The worker bundled by esbuild and run by plain node: the engine's own cost, without tsx's loader (~35 MB, ~1 s CPU at start). */
async function bundleWorker(): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'bench', 'download-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: BUNDLED_WORKER,
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

function inProcessNote(stdout: string): string {
  const inProcess = JSON.parse(stdout.trim().split('\n').pop()!) as { wallMs: number; cpuMs: number; failures: number };
  return `download phase alone (in-process): ${(inProcess.wallMs / 1000).toFixed(2)} s wall, ${(inProcess.cpuMs / 1000).toFixed(2)} s CPU, ${inProcess.failures} failures`;
}

const tools: Record<string, (urlsFile: string, size: number, count: number) => Measure> = {
  aria2c(urlsFile, size) {
    const dir = freshDir('out-aria2c');
    const m = timed('aria2c', [
      '-j',
      String(CONCURRENCY),
      '-x1',
      '-i',
      urlsFile,
      '-d',
      dir,
      '--allow-overwrite=true',
      '--auto-file-renaming=false',
      '--file-allocation=none',
      '--console-log-level=error',
      '--summary-interval=0',
      '--download-result=hide',
      '-q',
    ]);
    return { ...m, files: countFiles(dir, size) };
  },
  curl(urlsFile, size) {
    const dir = freshDir('out-curl');
    const config = readFileSync(urlsFile, 'utf8')
      .trim()
      .split('\n')
      .map((url, i) => `url = "${url}"\noutput = "${join(dir, `${i}.png`)}"`)
      .join('\n');
    const configFile = join(TMP, 'curl.cfg');
    writeFileSync(configFile, `${config}\n`);
    const m = timed('curl', ['--parallel', '--parallel-max', String(CONCURRENCY), '-s', '-K', configFile]);
    return { ...m, files: countFiles(dir, size) };
  },
  'harvester downloadFile (tsx)'(urlsFile, size) {
    const dir = freshDir('out-lib');
    const m = timed(process.execPath, [
      '--import',
      TSX,
      join(ROOT, 'bench', 'download-worker.ts'),
      urlsFile,
      dir,
      String(CONCURRENCY),
    ]);
    return { ...m, files: countFiles(dir, size), note: inProcessNote(m.stdout) };
  },
  'harvester downloadFile (bundled)'(urlsFile, size) {
    const dir = freshDir('out-bundled');
    const m = timed(process.execPath, [BUNDLED_WORKER, urlsFile, dir, String(CONCURRENCY)]);
    return { ...m, files: countFiles(dir, size), note: inProcessNote(m.stdout) };
  },
  'harvester get (CLI job)'(urlsFile, size) {
    const dir = freshDir('out-cli');
    rmSync(join(TMP, 'cli-data'), { recursive: true, force: true });
    rmSync(join(TMP, 'cli-logs'), { recursive: true, force: true });
    const m = timed(
      process.execPath,
      [join(ROOT, 'bin', 'harvester.js'), 'get', '--input', urlsFile, '--out', dir],
      cliEnv({ MAX_FILE_SIZE_MB: '2048' }),
    );
    return { ...m, files: countFiles(dir, size) };
  },
};

function table(rows: Array<{ name: string; runs: Measure[] }>, baseline: string, expectedFiles: number): string {
  const base = rows.find((r) => r.name === baseline)!;
  const baseWall = median(base.runs.map((r) => r.wallS));
  const baseCpu = median(base.runs.map((r) => r.cpuS));
  const baseRss = median(base.runs.map((r) => r.maxRssMb));
  const lines = [
    '| tool | wall s (median) | × aria2c | CPU s user+sys | × aria2c | peak RSS MB | × aria2c | files ok | all walls s |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const wall = median(row.runs.map((r) => r.wallS));
    const cpu = median(row.runs.map((r) => r.cpuS));
    const rss = median(row.runs.map((r) => r.maxRssMb));
    const files = Math.min(...row.runs.map((r) => r.files));
    lines.push(
      `| ${row.name} | ${wall.toFixed(2)} | ${(wall / baseWall).toFixed(2)} | ${cpu.toFixed(2)} | ${(cpu / baseCpu).toFixed(2)} | ${rss.toFixed(0)} | ${(rss / baseRss).toFixed(2)} | ${files === expectedFiles ? `${files}/${expectedFiles}` : `**${files}/${expectedFiles}**`} | ${row.runs.map((r) => r.wallS.toFixed(2)).join(', ')} |`,
    );
  }
  const notes = rows.flatMap((row) =>
    row.runs
      .map((r) => r.note)
      .filter(Boolean)
      .slice(0, 1)
      .map((note) => `- ${row.name}: ${note}`),
  );
  return [...lines, '', ...notes].join('\n');
}

function medianOf(rows: Array<{ name: string; runs: Measure[] }>, name: string, field: 'wallS' | 'maxRssMb'): number {
  return median(rows.find((r) => r.name === name)!.runs.map((r) => r[field]));
}

function goals(
  small: Array<{ name: string; runs: Measure[] }>,
  big: Array<{ name: string; runs: Measure[] }> | null,
  baseline: { tsx: number; bundled: number },
): string {
  const aria = medianOf(small, 'aria2c', 'wallS');
  const lines = [
    'Goals: wall ≤ 1.0× aria2c and peak RSS < 150 MB for the 2,000 files; peak RSS < 150 MB for the 1 GiB file.',
    '',
  ];
  for (const name of ['harvester downloadFile (tsx)', 'harvester downloadFile (bundled)', 'harvester get (CLI job)']) {
    const wall = medianOf(small, name, 'wallS') / aria;
    const rss = medianOf(small, name, 'maxRssMb');
    const bigRss = big ? medianOf(big, name, 'maxRssMb') : NaN;
    lines.push(
      `- ${name}: wall ${wall.toFixed(2)}× aria2c (${wall <= 1 ? 'met' : 'not met'}); peak RSS ${rss.toFixed(0)} MB (${rss < 150 ? 'met' : 'not met'}); 1 GiB peak RSS ${Number.isNaN(bigRss) ? 'not run' : `${bigRss.toFixed(0)} MB (${bigRss < 150 ? 'met' : 'not met'})`}.`,
    );
  }
  lines.push(
    '',
    `Where the memory goes: the same worker with no URL at all peaks at ${baseline.tsx.toFixed(0)} MB through tsx and ${baseline.bundled.toFixed(0)} MB bundled, so tsx's loader (a second V8 isolate for the ESM hooks, esbuild's transform caches) costs about ${(baseline.tsx - baseline.bundled).toFixed(0)} MB before any work. The transfers themselves add roughly 60–70 MB at peak in both runs: Node allocates a fresh 64 KiB buffer per socket read, and V8 frees those only when its external-memory or young-generation limits trigger a collection, so up to ~64 MB of already-consumed chunks wait for the GC (plus glibc keeping freed blocks). The files themselves are never held: a 1 GiB file costs about what 2,000 small ones do.`,
  );
  return lines.join('\n');
}

function writeResults(section: string): void {
  const file = join(ROOT, 'bench', 'RESULTS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = current.indexOf('\n## Downloads');
  let next: string;
  if (start < 0) next = `${current.trimEnd()}\n\n${section}\n`;
  else {
    const after = current.indexOf('\n## ', start + 1);
    next = `${current.slice(0, start)}\n${section}\n${after < 0 ? '' : current.slice(after)}`;
  }
  writeFileSync(file, next);
}

async function main(): Promise<void> {
  mkdirSync(TMP, { recursive: true });
  const loadBefore = loadavg()[0]!.toFixed(1);
  await bundleWorker();
  const { child, port } = await startServer();
  try {
    const urlsFile = join(TMP, 'urls.txt');
    writeFileSync(
      urlsFile,
      `${Array.from({ length: FILES }, (_, i) => `http://127.0.0.1:${port}/f/${i}.png`).join('\n')}\n`,
    );
    const rows = Object.keys(tools).map((name) => ({ name, runs: [] as Measure[] }));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const row of rows) {
        const m = tools[row.name]!(urlsFile, FILE_BYTES, FILES);
        row.runs.push(m);
        console.error(
          `round ${round} ${row.name}: ${m.wallS.toFixed(2)} s wall, ${m.cpuS.toFixed(2)} s CPU, ${m.maxRssMb.toFixed(0)} MB, ${m.files}/${FILES} files${m.note ? ` (${m.note})` : ''}`,
        );
      }
    }
    const smallTable = table(rows, 'aria2c', FILES);
    const emptyUrls = join(TMP, 'no-urls.txt');
    writeFileSync(emptyUrls, '');
    const baseline = {
      tsx: tools['harvester downloadFile (tsx)']!(emptyUrls, 0, 0).maxRssMb,
      bundled: tools['harvester downloadFile (bundled)']!(emptyUrls, 0, 0).maxRssMb,
    };

    let bigTable = '(skipped: --no-big)';
    let bigRowsForGoals: Array<{ name: string; runs: Measure[] }> | null = null;
    if (!args.includes('--no-big')) {
      const bigUrls = join(TMP, 'big-urls.txt');
      writeFileSync(bigUrls, `http://127.0.0.1:${port}/big\n`);
      const bigRows = [
        'aria2c',
        'curl',
        'harvester downloadFile (tsx)',
        'harvester downloadFile (bundled)',
        'harvester get (CLI job)',
      ].map((name) => ({ name, runs: [] as Measure[] }));
      for (let round = 1; round <= BIG_ROUNDS; round++) {
        for (const row of bigRows) {
          const m = tools[row.name]!(bigUrls, BIG_BYTES, 1);
          row.runs.push(m);
          console.error(
            `1 GiB round ${round} ${row.name}: ${m.wallS.toFixed(2)} s wall, ${m.cpuS.toFixed(2)} s CPU, ${m.maxRssMb.toFixed(0)} MB, ${m.files}/1 files`,
          );
        }
      }
      bigTable = table(bigRows, 'aria2c', 1);
      bigRowsForGoals = bigRows;
      for (const name of OUTPUT_DIRS) rmSync(join(TMP, name), { recursive: true, force: true });
    }

    const version = (cmd: string, flagArg: string): string =>
      execFileSync(cmd, [flagArg]).toString().split('\n')[0]!.trim();
    const section = [
      '## Downloads',
      '',
      `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`node --import tsx bench/download.ts --rounds ${ROUNDS} --big-rounds ${BIG_ROUNDS} --files ${FILES}\`.`,
      `Machine: ${cpus().length} CPUs (nproc ${execFileSync('nproc').toString().trim()}), ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${version('aria2c', '--version')}, ${version('curl', '--version').split(' ').slice(0, 2).join(' ')}.`,
      `Load average (1 min) ${loadBefore} at the start and ${loadavg()[0]!.toFixed(1)} at the end: the machine is shared with other work, so wall times carry noise; the rounds are interleaved so every tool sees the same conditions.`,
      `Server: a separate Node process on 127.0.0.1, ${LATENCY_MS} ms before each response, distinct ${FILE_BYTES / 1024} KiB files; ${CONCURRENCY} transfers in flight for every tool; wall, CPU (user+sys) and peak RSS from \`/usr/bin/time\` of each tool's own process (the server is not counted). Medians of ${ROUNDS} interleaved rounds.`,
      '',
      `### ${FILES} files × ${FILE_BYTES / 1024} KiB`,
      '',
      'Commands: `aria2c -j 32 -x1 -i urls.txt -d DIR --allow-overwrite=true --auto-file-renaming=false --file-allocation=none -q`; `curl --parallel --parallel-max 32 -s -K curl.cfg` (one url/output pair per file); `node --import tsx bench/download-worker.ts urls.txt DIR 32` (downloadFile, 32 in flight, through tsx as the CLI runs) and the same worker bundled by esbuild and run by plain node; `harvester get --input urls.txt --out DIR` with `MAX_DOWNLOADS_PER_SOURCE=32 MAX_CONNECTIONS_PER_HOST=32 ALLOW_PRIVATE_NETWORKS=true` (the whole engine: job, SQLite store, download log, manifests; includes the CLI start-up, from the compiled dist/ that `npm ci` builds).',
      '',
      smallTable,
      '',
      `### One 1 GiB file (medians of ${BIG_ROUNDS} interleaved rounds)`,
      '',
      bigTable,
      '',
      '### Goals',
      '',
      goals(rows, bigRowsForGoals, baseline),
      '',
      '### Notes',
      '',
      '- aria2c varies a lot from run to run here (see "all walls"); its debug log (`--log-level=debug`) shows pauses of up to ~250 ms between the reads of a single 64 KiB body. curl is the stronger baseline on small files.',
      "- The CLI job does much more than download: a SQLite store (one row per file, written before each rename), the download log, manifests, events and progress output, and the CLI start-up (compiled dist/). Its CPU time is the cost of that bookkeeping (about 1 ms per file over the downloader alone). aria2c's wall time is bimodal here (about 4.4 s in a quiet round, 8-12 s in others): against its quiet rounds the CLI job is about 1.1-1.2x, so the median ratio flatters us; curl is the better reference. Peak memory of the CLI job fell from 186 MB to about 140 MB once it ran compiled (no tsx loader) and cheerio and file-type were loaded only when needed.",
      '- Every Harvester file costs five thread-pool file operations (open of the `.part`, one coalesced writev, close, link to the final name, unlink of the `.part`): link instead of rename is what guarantees an existing file is never overwritten.',
    ].join('\n');
    writeResults(section);
    console.error('\nwritten to bench/RESULTS.md:\n');
    console.error(section);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
