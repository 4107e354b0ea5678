// `harvester get`, `logs`, `sources` and `demo` as a user runs them (the real CLI process).
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SOURCE_IDS, type JobDocument } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { LOG_LINE_PATTERN } from '../../src/log/download-log.ts';
import { listFiles } from '../jobs/harness.ts';
import { runCli } from './run-cli.ts';

let sim: Simulation;
const root = mkdtempSync(join(tmpdir(), 'harvester-cli-cmd-'));
let n = 0;
before(async () => {
  sim = await startSimulation({ sources: ['pexels', 'openverse'], hang: ['openverse'] });
});
after(async () => {
  await sim.close();
  rmSync(root, { recursive: true, force: true });
});

function workspace(extra: Record<string, string> = {}): { cwd: string; env: Record<string, string> } {
  const cwd = join(root, `w${++n}`);
  mkdirSync(cwd, { recursive: true });
  return {
    cwd,
    env: {
      ...sim.env,
      SOURCE_TIMEOUT: '10',
      OPENVERSE_TIMEOUT: '1',
      DOWNLOAD_DIR: join(cwd, 'downloads'),
      LOG_DIR: join(cwd, 'logs'),
      DATA_DIR: join(cwd, 'data'),
      ...extra,
    },
  };
}
const media = (key: string): string => `${sim.origins.pexels}/__media/${key}.png`;

describe('harvester get', () => {
  test('downloads a URL list file (comments and blank lines skipped) through the engine; the query is the file name', async () => {
    const ws = workspace();
    writeFileSync(
      join(ws.cwd, 'wanted.txt'),
      `# my list\n${media('one')}\n\n  ${media('two')}  \n# done\n${media('three')}\n`,
    );
    const r = await runCli(['get', '--input', 'wanted.txt', '--json'], ws);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.equal(doc.query, 'wanted.txt');
    assert.deepEqual(doc.sources, ['urls']);
    assert.equal(doc.results.source_stats.urls!.downloaded, 3);
    assert.deepEqual(
      listFiles(join(ws.cwd, 'downloads')).filter((f) => !f.includes('manifest')),
      [
        'wanted-txt/urls/wanted-txt_001.png',
        'wanted-txt/urls/wanted-txt_002.png',
        'wanted-txt/urls/wanted-txt_003.png',
      ],
    );
    const log = readFileSync(join(ws.cwd, 'logs', 'download_errors.log'), 'utf8');
    assert.match(log, /\| INFO \| === JOB START === \| Job ID: \S+ \| Query: wanted\.txt \| Sources: \['urls'\]/);
    assert.equal(
      log.match(/\| SUCCESS: urls \| File: wanted-txt_00\d\.png \| Size: \d+ bytes \| Time: \d+\.\d\ds/g)?.length,
      3,
    );
  });

  test('takes URLs as arguments and from stdin; a hanging URL ends at URLS_TIMEOUT and the job is partial', async () => {
    const ws = workspace({ URLS_TIMEOUT: '0.5', SOURCE_TIMEOUT: '20' });
    const hang = `${sim.origins.openverse}/__media/never.png`;
    const r = await runCli(['get', media('a'), '--input', '-', '--json'], { ...ws, stdin: `${hang}\n` });
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.equal(doc.query, 'stdin');
    assert.equal(doc.results.source_stats.urls!.error, 'Timeout after 0.5s');
    assert.equal(doc.results.downloaded, 1);
  });

  test('refuses bad input with exit 2 and creates nothing', async () => {
    for (const [args, message] of [
      [['get'], /no URLs given/],
      [['get', 'ftp://example.com/a.png'], /URL 1 must be http or https: "ftp:\/\/example\.com\/a\.png"/],
      [['get', media('a'), 'not a url'], /URL 2 is not a valid URL: "not a url"/],
      [['get', '--input', 'missing.txt'], /cannot read --input missing\.txt: .*ENOENT/],
    ] as const) {
      const ws = workspace();
      const r = await runCli([...args], ws);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.deepEqual(listFiles(ws.cwd), []);
    }
  });
});

describe('harvester logs and sources', () => {
  test('logs shows the last lines, --errors only failures, -n counts lines', async () => {
    const ws = workspace();
    const job = await runCli(['search', 'nature', '--sources', 'pexels,openverse', '--limit', '1'], ws);
    assert.equal(job.code, 3, job.stderr);
    const all = await runCli(['logs'], ws);
    assert.equal(all.code, 0);
    const lines = all.stdout.trimEnd().split('\n');
    for (const line of lines) assert.match(line, LOG_LINE_PATTERN);
    assert.match(lines[0]!, /=== JOB START ===/);
    assert.match(lines.at(-1)!, /STATISTICS \| Success: pexels \| Failed: openverse$/);
    const two = await runCli(['logs', '-n', '2'], ws);
    assert.deepEqual(two.stdout.trimEnd().split('\n'), lines.slice(-2));
    const errors = await runCli(['logs', '--errors'], ws);
    assert.deepEqual(
      errors.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.replace(/^.*? \| ERROR \| /, '')),
      ['TIMEOUT | openverse | Timeout after 1s'],
    );
    const bad = await runCli(['logs', '-n', 'x'], ws);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--lines must be a whole number \(got "x"\)/);
  });

  test('logs says so when there is no log yet', async () => {
    const ws = workspace();
    const r = await runCli(['logs'], ws);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no log yet at .*download_errors\.log/);
  });

  test('sources lists every source with its key and configuration, and creates nothing', async () => {
    const ws = workspace({ PEXELS_API_KEY: '' });
    const r = await runCli(['sources', '--json'], ws);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as {
      id: string;
      configured: boolean;
      reason: string | null;
      key_variable: string | null;
      origin: string;
      kinds: string[];
      health: unknown;
    }[];
    assert.deepEqual(
      rows.map((s) => s.id),
      [...SOURCE_IDS],
    );
    const pexels = rows.find((s) => s.id === 'pexels')!;
    assert.equal(pexels.configured, false);
    assert.equal(pexels.reason, 'pexels: needs PEXELS_API_KEY');
    assert.equal(pexels.key_variable, 'PEXELS_API_KEY');
    assert.equal(pexels.origin, sim.origins.pexels);
    assert.deepEqual(pexels.kinds, ['image', 'video']);
    assert.equal(rows.find((s) => s.id === 'openverse')!.configured, true);
    assert.ok(rows.every((s) => s.health === null));
    assert.equal(existsSync(join(ws.cwd, 'data')), false);
    const table = await runCli(['sources'], ws);
    assert.match(table.stdout, /^id\s+name\s+kinds\s+key\s+configured\s+origin\s+success/);
    assert.match(table.stdout, /pexels\s+.*no \(pexels: needs PEXELS_API_KEY\)/);
  });

  test('sources still lists every source when the database cannot be used, and says why', async () => {
    const ws = workspace();
    mkdirSync(join(ws.cwd, 'data'));
    writeFileSync(join(ws.cwd, 'data', 'harvester.db'), 'not a database at all');
    const r = await runCli(['sources', '--json'], ws);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, SOURCE_IDS.length);
    assert.match(
      r.stderr,
      /source health unavailable: database .*harvester\.db is corrupt or not a Harvester database/,
    );
    assert.equal(readFileSync(join(ws.cwd, 'data', 'harvester.db'), 'utf8'), 'not a database at all');
  });

  test('sources shows health once jobs have run', async () => {
    const ws = workspace();
    assert.equal((await runCli(['search', 'nature', '--sources', 'pexels,openverse', '--limit', '1'], ws)).code, 3);
    const rows = JSON.parse((await runCli(['sources', '--json'], ws)).stdout) as {
      id: string;
      health: { runs: number; successes: number; last_error: string | null } | null;
    }[];
    assert.deepEqual(rows.find((s) => s.id === 'pexels')!.health?.successes, 1);
    assert.equal(rows.find((s) => s.id === 'openverse')!.health?.last_error, 'Timeout after 1s');
  });
});

describe('harvester demo', () => {
  test('runs offline from an empty folder: four sources succeed within about one deadline, bing_images times out', async () => {
    const cwd = join(root, 'demo');
    mkdirSync(cwd);
    // No simulation, key or folder is passed in: the demo brings its own.
    const r = await runCli(['demo', '--json'], { cwd, timeoutMs: 40_000 });
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.equal(doc.status, 'partial');
    const hung = doc.results.source_stats.bing_images!;
    assert.ok(hung.duration_ms >= 2990 && hung.duration_ms < 3000 + 1500, `bing_images ran ${hung.duration_ms} ms`);
    assert.ok(doc.duration_ms! <= hung.duration_ms + 500, `the job took ${doc.duration_ms} ms`);
    assert.deepEqual(doc.results.successful_sources, ['google_images', 'yandex_images', 'unsplash', 'pexels']);
    assert.deepEqual(doc.results.failed_sources, ['bing_images']);
    assert.equal(doc.results.source_stats.bing_images!.error, 'Timeout after 3s');
    assert.ok(doc.results.downloaded >= 4 * 3);
    assert.match(r.stderr, /bing_images\s+failed\s+0\s+0\s+0\s+0\s+3\.\ds\s+Timeout after 3s/);
    const log = readFileSync(join(cwd, 'logs', 'download_errors.log'), 'utf8');
    assert.match(log, /\| ERROR \| TIMEOUT \| bing_images \| Timeout after 3s\n/);
    assert.doesNotMatch(log, /COMPLETED \| bing_images/);
    for (const s of ['google_images', 'yandex_images', 'unsplash', 'pexels'])
      assert.match(log, new RegExp(`\\| COMPLETED \\| ${s} \\|`));
    assert.ok(existsSync(join(cwd, 'data', 'harvester.db')));
  });
});
