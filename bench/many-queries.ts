// The bookkeeping of a many-query job (run by hand, not a test; needs `npm run build` first):
//   node --import tsx bench/many-queries.ts [--queries 100,1000] [--sources openverse,pexels]
// Runs the real CLI (`node bin/harvester.js search --queries FILE --limit 1 --json`) against the
// simulation started in this process, once per query count, under /usr/bin/time, and reports
// wall time, CPU (user+sys) and peak RSS of the CLI process, the source runs, the files saved and
// the size of the job document. Every query gets the simulation's same answer, so after the first
// query the runs find only candidates already seen: what is measured is mostly the per-run
// bookkeeping (store rows, stats, events, progress), not downloading.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobDocument, SourceId } from '../src/core/types.ts';
import { startSimulation } from '../src/demo/sim-server.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1]! : fallback;
};
const COUNTS = option('--queries', '100,1000').split(',').map(Number);
const SOURCES = option('--sources', 'openverse,pexels').split(',') as SourceId[];
const BIN = fileURLToPath(new URL('../bin/harvester.js', import.meta.url));

const sim = await startSimulation({ sources: SOURCES });
const rows: string[] = [];
const loadStart = loadavg()[0]!.toFixed(1);
try {
  for (const count of COUNTS) {
    const dir = mkdtempSync(join(tmpdir(), 'harvester-bench-queries-'));
    try {
      const file = join(dir, 'queries.txt');
      writeFileSync(file, Array.from({ length: count }, (_, i) => `animal ${i}`).join('\n'));
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        ...sim.env,
        DATA_DIR: join(dir, 'data'),
        DOWNLOAD_DIR: join(dir, 'downloads'),
        LOG_DIR: join(dir, 'logs'),
      };
      const child = spawn(
        '/usr/bin/time',
        [
          '-f',
          '%e %U %S %M',
          process.execPath,
          BIN,
          'search',
          '--queries',
          file,
          '--sources',
          SOURCES.join(','),
          '--limit',
          '1',
          '--json',
        ],
        { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const timing = stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
      const [wallS, userS, sysS, rssKb] = timing as [number, number, number, number];
      const doc = JSON.parse(stdout) as JobDocument;
      const runs = count * SOURCES.length;
      const dbBytes = Number(execFileSync('du', ['-sb', join(dir, 'data')], { encoding: 'utf8' }).split('\t')[0]);
      rows.push(
        `| ${count} | ${runs} | ${code} ${doc.status} | ${wallS.toFixed(1)} | ${(userS + sysS).toFixed(1)} | ${((wallS * 1000) / runs).toFixed(1)} | ${(rssKb / 1024).toFixed(0)} | ${doc.results.files.length} | ${(Buffer.byteLength(stdout) / 1024).toFixed(0)} | ${(dbBytes / 1024 / 1024).toFixed(1)} |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await sim.close();
}
console.log(
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`node --import tsx bench/many-queries.ts --queries ${COUNTS.join(',')} --sources ${SOURCES.join(',')}\` (CLI from dist/).`,
);
console.log(
  `Machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}. Load average (1 min) ${loadStart} at the start, ${loadavg()[0]!.toFixed(1)} at the end.\n`,
);
console.log(
  '| queries | source runs | exit, status | wall s | CPU s | wall ms per run | peak RSS MB | files | --json KiB | data dir MiB |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
