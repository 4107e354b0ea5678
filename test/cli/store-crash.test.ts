// Durability with the real CLI process and a real database: SIGKILL a running
// job at several points, then `harvester resume` — every file exactly once, no `.part`, database
// and disk agree, and the job document lists the files saved before the crash.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobDocument, JobSummary } from '../../src/core/types.ts';
import { makePng } from '../../src/demo/media.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import {
  assertDiskAgrees,
  cliEnv,
  exited,
  listFiles,
  queryDb,
  runCli,
  spawnCli,
  waitFor,
  type CliEnv,
} from './cli-harness.ts';

const SOURCES = ['duckduckgo_images', 'unsplash'];
const LIMIT = 10;
let sim: Simulation;
/** Candidate ids per source of the same job run without interruption: what a resumed job must end with. */
let reference: Map<string, string[]>;

function searchEnv(): CliEnv {
  // One download at a time per source and a slow simulation: the job runs long enough to be killed at chosen points.
  return cliEnv({ ...sim.env, MAX_DOWNLOADS_PER_SOURCE: '1' });
}

const searchArgs = ['search', 'nature', '--sources', SOURCES.join(','), '--limit', String(LIMIT), '--json'];

function bySource(doc: JobDocument): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of doc.results.files) out.set(f.source, [...(out.get(f.source) ?? []), f.candidate_id].sort());
  return out;
}

before(async () => {
  sim = await startSimulation({ sources: ['duckduckgo_images', 'unsplash'], latencyMs: 30 });
  const e = searchEnv();
  try {
    const run = await runCli(searchArgs, e);
    assert.equal(run.code, 0, run.stderr);
    reference = bySource(JSON.parse(run.stdout) as JobDocument);
    assert.ok(
      (reference.get('duckduckgo_images')?.length ?? 0) >= 6,
      'the simulation yields enough files to crash in between',
    );
  } finally {
    e.cleanup();
  }
});

after(async () => {
  await sim.close();
});

/** Runs the search, SIGKILLs it once `killWhen(recordedFiles)` holds, and resumes it. */
async function crashAndResume(
  killWhen: (recorded: number) => boolean,
  options: { showHistory?: boolean } = {},
): Promise<void> {
  const e = searchEnv();
  try {
    const child = spawnCli(searchArgs, e);
    const recorded = (): number => queryDb<{ n: number }>(e, `SELECT COUNT(*) AS n FROM files`)?.[0]?.n ?? -1;
    try {
      await waitFor('the kill point', () => {
        const n = recorded();
        return n >= 0 && (queryDb(e, `SELECT 1 FROM jobs`)?.length ?? 0) > 0 && killWhen(n);
      });
    } finally {
      child.kill('SIGKILL');
    }
    const killed = await exited(child);
    assert.equal(killed.signal, 'SIGKILL');

    // What reached disk before the crash: recorded rows whose file is in place.
    const onDisk = new Set(listFiles(e.downloadDir));
    const savedBefore = (queryDb<{ path: string }>(e, `SELECT path FROM files`) ?? [])
      .map((r) => r.path)
      .filter((p) => onDisk.has(p));

    const jobId = queryDb<{ job_id: string }>(e, `SELECT job_id FROM jobs`)![0]!.job_id;
    if (options.showHistory) {
      const jobs = await runCli(['jobs', '--json'], e);
      const [summary] = JSON.parse(jobs.stdout) as JobSummary[];
      assert.equal(summary?.job_id, jobId);
      assert.equal(summary?.status, 'interrupted', 'the dead process’s job is interrupted at the next start');
    }
    // (Resume itself refuses a job still marked running: it passing proves start-up marked it interrupted.)
    const resumed = await runCli(['resume', jobId, '--json'], e);
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = JSON.parse(resumed.stdout) as JobDocument;
    assert.equal(doc.status, 'completed');
    assert.equal(doc.job_id, jobId);
    assert.deepEqual(bySource(doc), reference, 'the resumed job ends with exactly the files of an uninterrupted run');
    const paths = new Set(doc.results.files.map((f) => f.path));
    for (const p of savedBefore) assert.ok(paths.has(p), `${p} saved before the crash is listed and kept`);
    assertDiskAgrees(e, doc);
    for (const source of SOURCES)
      assert.equal(
        doc.results.source_stats[source]?.downloaded,
        reference.get(source)?.length,
        `${source} counts every file once`,
      );

    if (options.showHistory) {
      // The store's document is the same as the one printed.
      const stored = JSON.parse((await runCli(['job', doc.job_id, '--json'], e)).stdout) as JobDocument;
      assert.deepEqual(stored.results.files.map((f) => f.path).sort(), [...paths].sort());
      assert.equal(stored.status, 'completed');
    }
  } finally {
    e.cleanup();
  }
}

test('SIGKILL as soon as the job is recorded, then resume: every file exactly once', async () => {
  await crashAndResume(() => true, { showHistory: true });
});

test('SIGKILL after a few files, then resume: files saved before the crash are kept and listed', async () => {
  await crashAndResume((n) => n >= 3);
});

test('SIGKILL late in the job, then resume', async () => {
  await crashAndResume((n) => n >= 8);
});

test('SIGKILL mid-transfer leaves .part files; resume removes them and saves each URL once', async () => {
  // Media bodies arrive in two halves 1.5 s apart, so a kill lands while `.part` files are open.
  const server: Server = createServer((req, res) => {
    const body = makePng(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
    res.write(body.subarray(0, body.length >> 1));
    const timer = setTimeout(() => res.end(body.subarray(body.length >> 1)), req.url?.includes('slow') ? 1500 : 0);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const e = cliEnv({ ALLOW_PRIVATE_NETWORKS: 'true', MAX_DOWNLOADS_PER_SOURCE: '3' });
  try {
    const urls = [
      ...Array.from({ length: 3 }, (_, i) => `${origin}/fast-${i}.png`),
      ...Array.from({ length: 3 }, (_, i) => `${origin}/slow-${i}.png`),
    ];
    const child = spawnCli(['get', ...urls, '--json'], e);
    try {
      await waitFor(
        '.part files of the slow downloads',
        () => listFiles(e.downloadDir).filter((p) => p.endsWith('.part')).length >= 1,
      );
    } finally {
      child.kill('SIGKILL');
    }
    await exited(child);
    assert.ok(
      listFiles(e.downloadDir).some((p) => p.endsWith('.part')),
      'the crash left a .part',
    );

    const jobs = JSON.parse((await runCli(['jobs', '--json'], e)).stdout) as JobSummary[];
    assert.equal(jobs[0]?.status, 'interrupted');
    const resumed = await runCli(['resume', jobs[0]!.job_id, '--json'], e);
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = JSON.parse(resumed.stdout) as JobDocument;
    assert.deepEqual(doc.results.files.map((f) => f.url).sort(), [...urls].sort(), 'every URL saved exactly once');
    assertDiskAgrees(e, doc);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    e.cleanup();
  }
});
