// Hostile names end to end: the real CLI with hostile queries, hostile media URLs
// (`harvester get`) and a source whose answer carries hostile titles and photographer names.
// The sandbox is listed before and after: nothing may appear outside DOWNLOAD_DIR (or LOG_DIR and
// DATA_DIR, which hold the log and the database), and every media file must sit at
// DOWNLOAD_DIR/<slug>/<source>/<slug>_NNN.<ext>.
import fc from 'fast-check';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { tmpdir } from 'node:os';

import { isQuerySlug } from '../../src/output/naming.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { startFaultServer } from '../../test/helpers/fault-server.ts';
import { runCli } from '../lib/cli.ts';
import { scanTree } from '../lib/disk-state.ts';
import { makeSandbox } from '../lib/paths.ts';
import { startRewritingProxy } from '../lib/switchboard.ts';

function listAll(root: string, skip: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (skip.includes(full)) continue;
      if (e.isDirectory()) walk(full);
      else out.push(relative(root, full).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

export interface PathE2eOutcome {
  runs: number;
  files: number;
  escapes: string[];
  misplaced: string[];
  rows: string[][];
}

const HOSTILE_QUERIES = [
  '../../../../tmp/harvester-escape',
  '/etc/passwd',
  '..\\..\\windows',
  'con',
  '..',
  '%2e%2e%2f%2e%2e%2f',
  'a/b/../../../c',
  '\u202egnp.exe',
  '猫',
  'x'.repeat(200),
];
const ESCAPE_MARK = join(tmpdir(), 'harvester-escape');

export async function runPathsEndToEnd(options: {
  queries: number;
  seed: number;
  log: (line: string) => void;
}): Promise<PathE2eOutcome> {
  const box = makeSandbox('paths');
  const sim = await startSimulation({ sources: ['pexels'] });
  const proxy = await startRewritingProxy(sim.origins.pexels!);
  const faults = await startFaultServer();
  const env = { ...sim.env, ...box.env, PEXELS_BASE_URL: proxy.origin, SOURCE_TIMEOUT: '5' };
  const rows: string[][] = [];
  const escapes: string[] = [];
  const misplaced: string[] = [];
  let runs = 0;
  const before = listAll(box.root, [box.downloadDir, box.logDir, box.dataDir]);
  try {
    // Hostile titles and names in the source's own answer.
    proxy.setTransform((text) =>
      text.replace(
        /"(alt|photographer|url)":"/g,
        (_m, field: string) =>
          `"${field}":"${field === 'url' ? 'https://www.pexels.com/../../../../' : '../../../../tmp/harvester-escape/'}`,
      ),
    );
    const randomQueries =
      options.queries > 0
        ? fc.sample(fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), {
            numRuns: options.queries,
            seed: options.seed,
          })
        : [];
    const queries = [...HOSTILE_QUERIES.slice(0, Math.max(2, options.queries)), ...randomQueries];
    for (const q of queries) {
      const r = await runCli(['search', q, '--sources', 'pexels', '--limit', '2', '--write-metadata'], {
        cwd: box.root,
        env,
        killAfterMs: 60_000,
      });
      runs++;
      rows.push([`search ${JSON.stringify(q.slice(0, 40))}`, String(r.code), '', '']);
    }
    proxy.setTransform(null);
    // Hostile media URLs: traversal in the path, in the query, encoded and not.
    const urls = [
      faults.url('/files/..%2F..%2F..%2F..%2Ftmp%2Fharvester-escape.png'),
      faults.url('/files/%2e%2e/%2e%2e/evil.png'),
      faults.url('/files/evil.png?name=../../../../tmp/harvester-escape.png'),
      faults.url(`/files/${'a'.repeat(300)}.png`),
      faults.url('/files/con.png'),
      faults.url('/files/..\\..\\evil.png'),
    ];
    const r = await runCli(['get', ...urls], {
      cwd: box.root,
      env: { ...env, ALLOW_PRIVATE_NETWORKS: 'true' },
      killAfterMs: 60_000,
    });
    runs++;
    rows.push([`get ${urls.length} hostile URLs`, String(r.code), '', '']);

    const after = listAll(box.root, [box.downloadDir, box.logDir, box.dataDir]);
    for (const f of after) if (!before.includes(f)) escapes.push(`written outside DOWNLOAD_DIR: ${f}`);
    if (existsSync(ESCAPE_MARK) || existsSync(`${ESCAPE_MARK}.png`)) escapes.push(`${ESCAPE_MARK} exists`);
    const tree = scanTree(box.downloadDir);
    for (const m of tree.media) {
      const parts = /^([^/]+)\/[a-z_]+\/([^/]+)_\d{3,}\.[a-z0-9]+$/.exec(m.rel);
      if (parts === null || !isQuerySlug(parts[1]!) || parts[2] !== parts[1])
        misplaced.push(`media file at an unexpected path: ${m.rel}`);
    }
    const folders = readdirSync(box.downloadDir);
    rows.push(['(all)', '', String(tree.media.length), folders.slice(0, 12).join(' ')]);
    options.log(
      `paths e2e: ${runs} runs, ${tree.media.length} files, ${escapes.length} escapes, ${misplaced.length} misplaced`,
    );
    return { runs, files: tree.media.length, escapes, misplaced, rows };
  } finally {
    await proxy.close();
    await sim.close();
    await faults.close();
    box.remove();
  }
}
