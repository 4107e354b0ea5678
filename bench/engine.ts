// Engine benchmark (run by hand, not a test): the whole `harvester get` job against aria2c and
// curl, and how its CPU per file and peak memory grow with the size of a job.
//   node --import tsx bench/engine.ts --label after [--rounds 5] [--files 2000]
//     [--growth 200,2000,20000] [--big-rounds 2] [--no-compare] [--base DIR]
// --base DIR also runs the `harvester` of another built checkout (a worktree of the code before a
// change, or a copy of its bin/, dist/ and package.json beside a node_modules link) in every
// round and beside each growth job, so that before and after meet the same machine.
// A local server (its own process, bench/download-server.ts) answers each request after 20 ms
// with a distinct 64 KiB file; every tool keeps 32 transfers in flight. Rounds alternate the
// tools so that each sees the same machine. Each figure is /usr/bin/time's wall, user+sys CPU and
// peak RSS of the tool's own process (the CLI's start-up included). The figures of a label are
// kept in bench/engine-<label>.json; bench/engine-growth.svg plots every label's growth.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIG_BYTES,
  CONCURRENCY,
  FILE_BYTES,
  LATENCY_MS,
  ROOT,
  countFiles,
  median,
  startMediaServer,
  timed,
} from './harness.ts';

const TMP = join(tmpdir(), 'harvester-bench-engine');
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const LABEL = option('--label', 'run');
const ROUNDS = Number(option('--rounds', '5'));
const FILES = Number(option('--files', '2000'));
const GROWTH = option('--growth', '200,2000,20000')
  .split(',')
  .filter((s) => s !== '')
  .map(Number);
const BIG_ROUNDS = Number(option('--big-rounds', '0'));
const BASE = option('--base', '');

interface Run {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  files: number;
  /** Size of the data directory (SQLite database and WAL) after the job, bytes; harvester only. */
  dbBytes?: number;
  load: number;
}

interface Figures {
  label: string;
  date: string;
  machine: string;
  compare: Record<string, Run[]>;
  growth: Array<{ files: number; run: Run }>;
  /** The same growth jobs of `--base`'s harvester, each run just before this one's. */
  baseGrowth?: Array<{ files: number; run: Run }>;
  big: Record<string, Run[]>;
}

function freshDir(name: string): string {
  rmSync(TMP, { recursive: true, force: true });
  execFileSync('sync');
  const dir = join(TMP, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    n += entry.isDirectory() ? bytesUnder(path) : statSync(path).size;
  }
  return n;
}

function harvesterGet(urls: string[], size: number, env: Record<string, string>, root = ROOT): Run {
  const dir = freshDir('out');
  const list = join(TMP, 'urls.txt');
  writeFileSync(list, `${urls.join('\n')}\n`);
  const data = join(TMP, 'data');
  const m = timed(TMP, process.execPath, [join(root, 'bin', 'harvester.js'), 'get', '--input', list, '--out', dir], {
    ...process.env,
    ALLOW_PRIVATE_NETWORKS: 'true',
    MAX_DOWNLOADS_PER_SOURCE: String(CONCURRENCY),
    MAX_CONNECTIONS_PER_HOST: String(CONCURRENCY),
    URLS_TIMEOUT: '3600',
    DOWNLOAD_TIMEOUT: '600',
    MAX_FILE_SIZE_MB: '2048',
    DATA_DIR: data,
    LOG_DIR: join(TMP, 'logs'),
    ...env,
  });
  return { ...m, files: countFiles(dir, size), dbBytes: bytesUnder(data), load: loadavg()[0]! };
}

const tools: Record<string, (urls: string[], size: number) => Run> = {
  aria2c(urls, size) {
    const dir = freshDir('out');
    const list = join(TMP, 'urls.txt');
    writeFileSync(list, `${urls.join('\n')}\n`);
    const m = timed(TMP, 'aria2c', [
      ...['-j', String(CONCURRENCY), '-x1', '-i', list, '-d', dir],
      ...['--allow-overwrite=true', '--auto-file-renaming=false', '--file-allocation=none'],
      ...['--console-log-level=error', '--summary-interval=0', '--download-result=hide', '-q'],
    ]);
    return { ...m, files: countFiles(dir, size), load: loadavg()[0]! };
  },
  curl(urls, size) {
    const dir = freshDir('out');
    const config = join(TMP, 'curl.cfg');
    writeFileSync(config, urls.map((url, i) => `url = "${url}"\noutput = "${join(dir, `${i}.png`)}"\n`).join(''));
    const m = timed(TMP, 'curl', ['--parallel', '--parallel-max', String(CONCURRENCY), '-s', '-K', config]);
    return { ...m, files: countFiles(dir, size), load: loadavg()[0]! };
  },
  'harvester get': (urls, size) => harvesterGet(urls, size, {}),
  // Without perceptual hashing (sharp), the path a job takes with near-duplicates kept.
  'harvester get, NEAR_DUPLICATE_DISTANCE=-1': (urls, size) =>
    harvesterGet(urls, size, { NEAR_DUPLICATE_DISTANCE: '-1' }),
  ...(BASE === ''
    ? {}
    : { 'harvester get (base)': (urls: string[], size: number) => harvesterGet(urls, size, {}, BASE) }),
};

const urlsFor = (port: number, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `http://127.0.0.1:${port}/f/${i}.png`);

function log(what: string, m: Run, expected: number): void {
  console.error(
    `${what}: ${m.wallS.toFixed(2)} s wall, ${m.cpuS.toFixed(2)} s CPU, ${m.maxRssMb.toFixed(0)} MB, ${m.files}/${expected} files, load ${m.load.toFixed(1)}`,
  );
}

async function measure(): Promise<Figures> {
  mkdirSync(TMP, { recursive: true });
  const { child, port } = await startMediaServer({
    LATENCY_MS: String(LATENCY_MS),
    FILE_BYTES: String(FILE_BYTES),
    BIG_BYTES: String(BIG_BYTES),
  });
  const version = (cmd: string): string => execFileSync(cmd, ['--version']).toString().split('\n')[0]!.trim();
  const figures: Figures = {
    label: LABEL,
    date: new Date().toISOString().slice(0, 16).replace('T', ' '),
    machine: `${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${version('aria2c')}, ${version('curl').split(' ').slice(0, 2).join(' ')}`,
    compare: {},
    growth: [],
    big: {},
  };
  try {
    if (!args.includes('--no-compare')) {
      const urls = urlsFor(port, FILES);
      for (let round = 1; round <= ROUNDS; round++) {
        for (const name of Object.keys(tools)) {
          const m = tools[name]!(urls, FILE_BYTES);
          (figures.compare[name] ??= []).push(m);
          log(`round ${round} ${name}`, m, FILES);
        }
      }
    }
    for (const n of GROWTH) {
      if (BASE !== '') {
        const base = tools['harvester get (base)']!(urlsFor(port, n), FILE_BYTES);
        (figures.baseGrowth ??= []).push({ files: n, run: base });
        log(`growth ${n} (base)`, base, n);
      }
      const run = tools['harvester get']!(urlsFor(port, n), FILE_BYTES);
      figures.growth.push({ files: n, run });
      log(`growth ${n}`, run, n);
    }
    for (let round = 1; round <= BIG_ROUNDS; round++) {
      for (const name of ['aria2c', 'harvester get']) {
        const m = tools[name]!([`http://127.0.0.1:${port}/big`], BIG_BYTES);
        (figures.big[name] ??= []).push(m);
        log(`1 GiB round ${round} ${name}`, m, 1);
      }
    }
  } finally {
    child.kill('SIGTERM');
    rmSync(TMP, { recursive: true, force: true });
  }
  return figures;
}

const fixed = (n: number, digits = 2): string => n.toFixed(digits);

function compareTable(f: Figures, files: number): string {
  const names = Object.keys(f.compare);
  if (names.length === 0) return '(not run)';
  const aria = f.compare.aria2c!;
  const lines = [
    '| tool | wall s (median) | wall ÷ aria2c, pairs (median) | CPU s user+sys | CPU ms per file | peak RSS MB | files ok | all walls s |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const name of names) {
    const runs = f.compare[name]!;
    const ratios = runs.map((r, i) => r.wallS / aria[i]!.wallS);
    const cpu = median(runs.map((r) => r.cpuS));
    lines.push(
      `| ${name} | ${fixed(median(runs.map((r) => r.wallS)))} | ${fixed(median(ratios))} | ${fixed(cpu)} | ${fixed((cpu * 1000) / files)} | ${fixed(median(runs.map((r) => r.maxRssMb)), 0)} | ${Math.min(...runs.map((r) => r.files))}/${files} | ${runs.map((r) => fixed(r.wallS)).join(', ')} |`,
    );
  }
  const ideal = (Math.ceil(files / CONCURRENCY) * LATENCY_MS) / 1000;
  lines.push('', `Ideal (⌈${files}/${CONCURRENCY}⌉ × ${LATENCY_MS} ms): ${fixed(ideal)} s.`);
  return lines.join('\n');
}

function growthTable(f: Figures): string {
  if (f.growth.length === 0) return '(not run)';
  const lines = [
    '| files | wall s | CPU s | CPU ms per file | peak RSS MB | database bytes per file | files ok | load (1 min) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const rows = [
    ...(f.baseGrowth ?? []).map((g) => ({ ...g, what: `${g.files} (base)` })),
    ...f.growth.map((g) => ({ ...g, what: String(g.files) })),
  ].sort((a, b) => a.files - b.files);
  for (const { files, run, what } of rows) {
    lines.push(
      `| ${what} | ${fixed(run.wallS)} | ${fixed(run.cpuS)} | ${fixed((run.cpuS * 1000) / files)} | ${fixed(run.maxRssMb, 0)} | ${fixed((run.dbBytes ?? 0) / files, 0)} | ${run.files}/${files} | ${fixed(run.load, 1)} |`,
    );
  }
  return lines.join('\n');
}

function bigTable(f: Figures): string {
  const names = Object.keys(f.big);
  if (names.length === 0) return '(not run)';
  const aria = f.big.aria2c!;
  const lines = [
    '| tool | wall s (median) | wall ÷ aria2c (pairs, median) | CPU s | peak RSS MB |',
    '|---|---|---|---|---|',
  ];
  for (const name of names) {
    const runs = f.big[name]!;
    lines.push(
      `| ${name} | ${fixed(median(runs.map((r) => r.wallS)))} | ${fixed(median(runs.map((r, i) => r.wallS / aria[i]!.wallS)))} | ${fixed(median(runs.map((r) => r.cpuS)))} | ${fixed(median(runs.map((r) => r.maxRssMb)), 0)} |`,
    );
  }
  return lines.join('\n');
}

/** A line chart of CPU ms per file and peak RSS against job size (log scale), one line per label. */
function growthSvg(all: Figures[]): string {
  const W = 640;
  const H = 260;
  const pad = { left: 56, right: 16, top: 28, bottom: 40 };
  const colours = ['#b2182b', '#2166ac', '#1b7837', '#762a83'];
  const sizes = [...new Set(all.flatMap((f) => f.growth.map((g) => g.files)))].sort((a, b) => a - b);
  const panel = (
    title: string,
    value: (g: Figures['growth'][number]) => number,
    unit: string,
    x0: number,
    width: number,
  ): string => {
    const max = Math.max(1, ...all.flatMap((f) => f.growth.map(value))) * 1.15;
    const lx = (n: number): number => {
      const lo = Math.log10(sizes[0]!);
      const hi = Math.log10(sizes.at(-1)!);
      return x0 + pad.left + ((Math.log10(n) - lo) / Math.max(hi - lo, 1)) * (width - pad.left - pad.right);
    };
    const ly = (v: number): number => pad.top + (1 - v / max) * (H - pad.top - pad.bottom);
    const parts = [
      `<text x="${x0 + width / 2}" y="16" text-anchor="middle" font-weight="bold">${title}</text>`,
      `<line x1="${x0 + pad.left}" y1="${H - pad.bottom}" x2="${x0 + width - pad.right}" y2="${H - pad.bottom}" stroke="#444"/>`,
      `<line x1="${x0 + pad.left}" y1="${pad.top}" x2="${x0 + pad.left}" y2="${H - pad.bottom}" stroke="#444"/>`,
    ];
    for (let i = 0; i <= 4; i++) {
      const v = (max / 4) * i;
      parts.push(
        `<text x="${x0 + pad.left - 6}" y="${ly(v) + 4}" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`,
        `<line x1="${x0 + pad.left}" y1="${ly(v)}" x2="${x0 + width - pad.right}" y2="${ly(v)}" stroke="#ddd"/>`,
      );
    }
    for (const n of sizes) {
      parts.push(`<text x="${lx(n)}" y="${H - pad.bottom + 16}" text-anchor="middle">${n}</text>`);
    }
    parts.push(`<text x="${x0 + width / 2}" y="${H - 6}" text-anchor="middle">files in the job (${unit})</text>`);
    all.forEach((f, i) => {
      const colour = colours[i % colours.length]!;
      const points = f.growth.map((g) => `${lx(g.files).toFixed(1)},${ly(value(g)).toFixed(1)}`);
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.join(' ')}"/>`);
      for (const p of points) {
        const [x, y] = p.split(',');
        parts.push(`<circle cx="${x}" cy="${y}" r="3" fill="${colour}"/>`);
      }
    });
    return parts.join('\n');
  };
  const legend = all
    .map(
      (f, i) =>
        `<text x="${W * 2 - 150}" y="${pad.top + 14 * i + 10}" fill="${colours[i % colours.length]}">${f.label} (${f.date})</text>`,
    )
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * 2}" height="${H}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    panel('CPU per file (ms, user+sys)', (g) => (g.run.cpuS * 1000) / g.files, 'log scale', 0, W),
    panel('Peak RSS (MB)', (g) => g.run.maxRssMb, 'log scale', W, W),
    legend,
    '</svg>',
    '',
  ].join('\n');
}

const figures = await measure();
writeFileSync(join(ROOT, 'bench', `engine-${LABEL}.json`), `${JSON.stringify(figures, null, 2)}\n`);
const all = readdirSync(join(ROOT, 'bench'))
  .filter((name) => /^engine-.+\.json$/.test(name))
  .map((name) => JSON.parse(readFileSync(join(ROOT, 'bench', name), 'utf8')) as Figures)
  .filter((f) => f.growth.length > 0)
  .sort((a, b) => a.date.localeCompare(b.date));
writeFileSync(join(ROOT, 'bench', 'engine-growth.svg'), growthSvg(all));
console.log(
  [
    `### ${LABEL}: ${figures.date} UTC`,
    '',
    `\`node --import tsx bench/engine.ts ${args.join(' ')}\` — ${figures.machine}.`,
    '',
    `${FILES} files × 64 KiB, ${ROUNDS} alternating rounds:`,
    '',
    compareTable(figures, FILES),
    '',
    'Growth (one job each):',
    '',
    growthTable(figures),
    '',
    'One 1 GiB file:',
    '',
    bigTable(figures),
  ].join('\n'),
);
