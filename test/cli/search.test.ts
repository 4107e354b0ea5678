// `harvester search` as a user runs it: the real CLI process against simulated sources on port
// 0, files in a temp dir, the log, the exit codes, --json, Ctrl-C.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { emptySourceStats, type JobDocument } from '../../src/core/types.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { LOG_LINE_PATTERN } from '../../src/log/download-log.ts';
import { startFaultServer, type FaultServer } from '../helpers/fault-server.ts';
import { listFiles } from '../jobs/harness.ts';
import { waitFor } from './cli-harness.ts';
import { cliWorkspaces, runCli, startCli } from './run-cli.ts';

let sim: Simulation;
let hanging: Simulation;
let faults: FaultServer;
const spaces = cliWorkspaces('harvester-cli-');

before(async () => {
  sim = await startSimulation({ sources: ['pexels', 'openverse', 'bing_images'] });
  hanging = await startSimulation({ sources: ['duckduckgo_images'], hang: ['duckduckgo_images'] });
  faults = await startFaultServer();
});
after(async () => {
  await sim.close();
  await hanging.close();
  await faults.close();
  spaces.dispose();
});

/** A fresh, empty working directory and an environment pointing every folder into it. */
function workspace(extra: Record<string, string> = {}): { cwd: string; env: Record<string, string> } {
  // Only the hanging source has a short deadline: a loaded machine must not time out the others.
  return spaces.next({ ...sim.env, ...hanging.env, SOURCE_TIMEOUT: '10', DUCKDUCKGO_IMAGES_TIMEOUT: '1', ...extra });
}

function logLines(cwd: string): string[] {
  return readFileSync(join(cwd, 'logs', 'download_errors.log'), 'utf8')
    .trimEnd()
    .split('\n');
}

describe('harvester search', () => {
  test('exit 0 when every source completes; --json prints only the job document, with every field', async () => {
    const ws = workspace();
    const r = await runCli(['search', 'nature', '--sources', 'pexels,openverse', '--limit', '2', '--json'], ws);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    for (const key of [
      'job_id',
      'status',
      'query',
      'sources',
      'limit',
      'type',
      'created_at',
      'started_at',
      'finished_at',
      'duration_ms',
      'results',
    ]) {
      assert.ok(key in doc, `job document has ${key}`);
    }
    for (const key of [
      'downloaded',
      'images',
      'videos',
      'source_stats',
      'successful_sources',
      'failed_sources',
      'files',
    ]) {
      assert.ok(key in doc.results, `results has ${key}`);
    }
    for (const st of Object.values(doc.results.source_stats))
      assert.deepEqual(Object.keys(st).sort(), Object.keys(emptySourceStats()).sort());
    assert.equal(doc.status, 'completed');
    assert.equal(doc.results.downloaded, 4);
    for (const f of doc.results.files) {
      for (const key of [
        'path',
        'source',
        'kind',
        'url',
        'candidate_id',
        'bytes',
        'sha256',
        'mime',
        'width',
        'height',
        'title',
        'page_url',
        'thumbnail_url',
        'author',
        'license',
        'license_url',
        'duration_ms',
        'saved_at',
      ]) {
        assert.ok(key in f, `file has ${key}`);
      }
      assert.ok(existsSync(join(ws.cwd, 'downloads', f.path)), f.path);
    }
    assert.match(r.stderr, /source\s+status\s+downloaded\s+images\s+videos\s+failed\s+time\s+error/);
    assert.match(
      r.stderr,
      /\[pexels\] saved nature\/pexels\/nature_00\d\.png/,
      'plain progress lines when stderr is not a terminal',
    );
    for (const line of logLines(ws.cwd)) assert.match(line, LOG_LINE_PATTERN);
    assert.ok(logLines(ws.cwd).some((l) => l.endsWith('| STATISTICS | Success: pexels, openverse | Failed: none')));
  });

  test('queries in other scripts get folders and file names that read as the query', async () => {
    const ws = workspace();
    for (const [query, slug] of [
      ['Котик', 'котик'],
      ['铁路', '铁路'],
    ] as const) {
      const r = await runCli(['search', query, '--sources', 'pexels', '--limit', '1', '--json'], ws);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as JobDocument;
      assert.equal(doc.results.files.length, 1);
      const path = doc.results.files[0]!.path;
      assert.match(path, new RegExp(`^${slug}/pexels/${slug}_001\\.png$`, 'u'), path);
      assert.ok(existsSync(join(ws.cwd, 'downloads', slug, 'pexels', `${slug}_001.png`)));
    }
  });

  test('exit 3 when a source hangs: it ends at its deadline and the others keep their files', async () => {
    const ws = workspace();
    const r = await runCli(
      ['search', 'nature', '--sources', 'pexels,duckduckgo_images,bing_images', '--limit', '2', '--json'],
      ws,
    );
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.equal(doc.status, 'partial');
    const longest = Math.max(...Object.values(doc.results.source_stats).map((st) => st.duration_ms));
    assert.ok(doc.duration_ms! <= longest + 500, `job ${doc.duration_ms} ms, longest source ${longest} ms`);
    assert.equal(doc.results.source_stats.duckduckgo_images!.error, 'Timeout after 1s');
    assert.equal(doc.results.source_stats.duckduckgo_images!.error_code, 'timeout');
    assert.match(r.stderr, /duckduckgo_images\s+failed\s+0\s+0\s+0\s+0\s+1\.\ds\s+Timeout after 1s/);
    assert.ok(logLines(ws.cwd).some((l) => / \| ERROR \| TIMEOUT \| duckduckgo_images \| Timeout after 1s$/.test(l)));
  });

  test('exit 1 when no source succeeds', async () => {
    const ws = workspace();
    const r = await runCli(['search', 'nature', '--sources', 'duckduckgo_images'], ws);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Job \S+ failed/);
  });

  test('exit 2 for bad flags and bad configuration, naming the flag or variable and the value, creating nothing', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['search', 'nature', '--limit', '0'], {}, /--limit must be an integer from 1 to 500 \(got "0"\)/],
      [['search', 'nature', '--limit', 'ten'], {}, /--limit must be an integer from 1 to 500 \(got "ten"\)/],
      [
        ['search', 'nature', '--sources', 'pexels,flickr'],
        {},
        /unknown source flickr in --sources \(known: google_images, /,
      ],
      [['search', 'nature', '--type', 'gif'], {}, /--type must be one of image, video, any \(got "gif"\)/],
      [['search', 'nature'], { SOURCE_TIMEOUT: 'abc' }, /SOURCE_TIMEOUT="abc" is invalid: expected seconds/],
      [['search', 'nature'], { PEXELS_TIMEOUT: '-1' }, /PEXELS_TIMEOUT="-1" is invalid/],
      [['search', ' '], {}, /query must be a non-empty string/],
      [['search'], {}, /search needs a query \(arguments or --queries FILE\)/],
      [['search', 'nature', '--bogus'], {}, /unknown option '--bogus'/],
    ];
    for (const [args, env, message] of cases) {
      const ws = workspace(env);
      const r = await runCli(args, ws);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
      assert.deepEqual(listFiles(ws.cwd), [], `${args.join(' ')} created nothing`);
      assert.equal(existsSync(join(ws.cwd, 'data')), false);
    }
  });

  test('Ctrl-C cancels every source at once, still writes the summary and the log, leaves no .part, exits 130', async () => {
    const ws = workspace({ SOURCE_TIMEOUT: '30', URLS_TIMEOUT: '30' });
    // One download sends half a file and stalls (a .part exists when Ctrl-C comes), one source hangs.
    const listFile = join(ws.cwd, 'list.txt');
    const urls = [
      faults.url('/ok.png?key=first'),
      faults.url('/hang-mid-body?after=2000'),
      faults.url('/ok.png?key=second'),
    ];
    writeFileSync(listFile, urls.join('\n'));
    const run = startCli(['get', '--input', listFile, '--json'], {
      ...ws,
      env: { ...ws.env, STALL_TIMEOUT: '60', MIN_DOWNLOAD_SPEED: '0' },
    });
    await run.waitForStderr(/saved list-txt\/urls\/list-txt_002/);
    const parts = (): string[] => listFiles(join(ws.cwd, 'downloads')).filter((f) => f.endsWith('.part'));
    await waitFor('the stalled download to have its .part', () => parts().length === 1, 2000);
    const interruptedAt = Date.now();
    run.child.kill('SIGINT');
    const r = await run.result;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted: cancelling every source/);
    assert.match(r.stderr, /Job \S+ cancelled/);
    const doc = JSON.parse(r.stdout) as JobDocument;
    assert.equal(doc.status, 'cancelled');
    // The job (not the process, whose exit also closes the store) ended right after Ctrl-C.
    assert.ok(
      Date.parse(doc.finished_at!) - interruptedAt < 1500,
      `job ended ${Date.parse(doc.finished_at!) - interruptedAt} ms after Ctrl-C`,
    );
    assert.equal(doc.results.downloaded, 2);
    assert.deepEqual(parts(), []);
    const lines = logLines(ws.cwd);
    for (const line of lines) assert.match(line, LOG_LINE_PATTERN);
    assert.ok(lines.some((l) => l.includes('| === JOB COMPLETE === | Downloaded: 2 |')));
    assert.ok(lines.some((l) => l.includes('| STATISTICS | ')));
  });
});
