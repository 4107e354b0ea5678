// Crash at any point: SIGKILL the real CLI process and the real server at random
// moments of running jobs, check the SQLite file after every kill (integrity_check, opened
// read-only), then resume (`harvester resume <id>`; for the server, a restart that resumes
// its interrupted jobs) and check that no file is lost, duplicated or partial.
import type { JobDocument, JobSourceName } from '../../src/core/types.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import type { SourceId } from '../../src/core/types.ts';
import { parseJsonOutput, runCli } from '../lib/cli.ts';
import {
  checkAgreement,
  compareRecords,
  integrityCheck,
  recordedFromDb,
  recordedFromDocs,
  scanTree,
  type RecordedFile,
} from '../lib/disk-state.ts';
import { cliJob, cliJobs, filesPerSource } from '../lib/jobs-view.ts';
import { makeSandbox } from '../lib/paths.ts';
import { makeRng, type Rng } from '../lib/random.ts';
import { api, listAllJobs, startServer, waitForJob, type ServerProcess } from '../lib/server.ts';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { envPrefix } from '../../src/core/config.ts';
import { querySalt, saltIds, startRewritingProxy } from '../lib/switchboard.ts';
import { startFaultServer } from '../../test/helpers/fault-server.ts';

export interface KillRecord {
  n: number;
  face: 'cli' | 'server';
  /** What was running: a new job, a resume, or (server) the jobs in flight. */
  what: string;
  /** When the kill came, ms after the job started running (CLI) or after the server was given work (server). */
  atMs: number;
  /** Media files and .part files on disk right after the kill. */
  mediaAtKill: number;
  partsAtKill: number;
  /** Files recorded in the database right after the kill. */
  recordedAtKill: number;
  integrity: string;
}

export interface CrashOutcome {
  kills: KillRecord[];
  /** Jobs checked after their final resume. */
  jobs: {
    face: 'cli' | 'server';
    job_id: string;
    status: string;
    kills: number;
    files: number;
    expected: number;
    problems: string[];
  }[];
  /** Problems found anywhere (an empty list is a pass). */
  problems: string[];
  /** Things worth knowing that are not problems. */
  notes: string[];
  reference: { perSource: Record<string, number>; jobMs: number; startupMs: number };
}

export interface CrashOptions {
  cliKills: number;
  serverKills: number;
  seed: number;
  sources: readonly SourceId[];
  limit: number;
  latencyMs: number;
  log: (line: string) => void;
}

const baseConfig = {
  SOURCE_TIMEOUT: '30',
  MAX_DOWNLOADS_PER_SOURCE: '1',
  MAX_CONCURRENT_SOURCES: '10',
  RATE_LIMIT_PER_MINUTE: '0',
};

export async function runCrash(options: CrashOptions): Promise<CrashOutcome> {
  const rng = makeRng(options.seed);
  const sim = await startSimulation({ sources: options.sources, latencyMs: options.latencyMs });
  const faults = await startFaultServer();
  // Each job gets content of its own (ids and media salted by its query), so the download
  // archive never skips a file another job saved and every job must save exactly what the
  // uninterrupted reference saves.
  const proxies = await Promise.all(options.sources.map((id) => startRewritingProxy(sim.origins[id]!)));
  const simEnv: Record<string, string> = { ...sim.env };
  options.sources.forEach((id, i) => {
    const proxy = proxies[i]!;
    // Media come from the fault server's /drip (a 100 KB PNG in 8 KiB steps every 20 ms), so a
    // kill often lands mid-body and leaves a .part for the resume to deal with.
    proxy.setMedia((u, asked) =>
      faults.url(
        `/drip?bytes=8192&intervalMs=20&key=${encodeURIComponent(`${u.split('/').pop()}-${querySalt(asked)}`)}`,
      ),
    );
    proxy.setTransform((text, asked) => saltIds(text, querySalt(asked)));
    simEnv[`${envPrefix(id)}_BASE_URL`] = proxy.origin;
  });
  const sourcesArg = options.sources.join(',');
  const problems: string[] = [];
  const notes: string[] = [];
  const kills: KillRecord[] = [];
  const jobs: CrashOutcome['jobs'] = [];
  try {
    // Reference: the same job, uninterrupted, in a sandbox of its own.
    const refBox = makeSandbox('crash-ref');
    let reference: CrashOutcome['reference'];
    try {
      const env = { ...simEnv, ...refBox.env, ...baseConfig };
      const r = await runCli(
        [
          'search',
          'crash reference',
          '--sources',
          sourcesArg,
          '--limit',
          String(options.limit),
          '--no-archive',
          '--json',
        ],
        { cwd: refBox.root, env, killAfterMs: 120_000 },
      );
      if (r.code !== 0 && r.code !== 3) throw new Error(`reference run exited ${r.code}: ${r.stderr.slice(-1000)}`);
      const doc = parseJsonOutput<JobDocument>(r.stdout);
      reference = {
        perSource: filesPerSource(doc),
        jobMs: doc.duration_ms ?? r.wallMs,
        startupMs: Math.max(0, r.wallMs - (doc.duration_ms ?? 0)),
      };
      if (doc.results.files.length === 0) throw new Error('the reference run saved no file: nothing to crash on');
    } finally {
      refBox.remove();
    }
    options.log(
      `reference: ${JSON.stringify(reference.perSource)} in ${reference.jobMs.toFixed(0)} ms (+${reference.startupMs.toFixed(0)} ms start-up)`,
    );
    const expectedTotal = Object.values(reference.perSource).reduce((a, b) => a + b, 0);

    await cliKills(options, rng, simEnv, sourcesArg, reference, expectedTotal, kills, jobs, problems, notes);
    await serverKills(options, rng, simEnv, sourcesArg, reference, expectedTotal, kills, jobs, problems, notes);
    return { kills, jobs, problems: [...new Set(problems)], notes, reference };
  } finally {
    for (const p of proxies) await p.close();
    await sim.close();
    await faults.close();
  }
}

function perSourceProblems(doc: JobDocument, expected: Record<string, number>): string[] {
  const got = filesPerSource(doc);
  const out: string[] = [];
  for (const [source, n] of Object.entries(expected)) {
    const stats = doc.results.source_stats[source];
    // A file an earlier job of this run already saved may be skipped by the archive (server jobs cannot turn it off).
    const accounted = (got[source] ?? 0) + (stats?.skipped_existing ?? 0);
    if (accounted !== n)
      out.push(
        `job ${doc.job_id}: ${source} has ${got[source] ?? 0} files (+${stats?.skipped_existing ?? 0} skipped as already archived), an uninterrupted run has ${n}`,
      );
  }
  return out;
}

/** Every file recorded for `jobId` at a kill must still be recorded, with the same content, after the resume. */
function lostFiles(before: readonly RecordedFile[], after: JobDocument): string[] {
  const now = new Map(after.results.files.map((f) => [f.path, f.sha256]));
  return before
    .filter((f) => f.job_id === after.job_id && now.get(f.path) !== f.sha256)
    .map((f) => `job ${after.job_id}: ${f.path}, recorded before a kill, is gone after the resume`);
}

/** A job's status straight from the database (read-only), or null. */
function jobStatusInDb(dbPath: string, jobId: string): string | null {
  if (!existsSync(dbPath)) return null;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (
      (db.prepare('SELECT status FROM jobs WHERE job_id = ?').get(jobId) as { status: string } | undefined)?.status ??
      null
    );
  } finally {
    db.close();
  }
}

function afterKill(
  n: number,
  face: 'cli' | 'server',
  what: string,
  atMs: number,
  box: { dbPath: string; downloadDir: string },
): { record: KillRecord; recorded: RecordedFile[] } {
  const tree = scanTree(box.downloadDir);
  let integrity = 'no database yet';
  let recorded: RecordedFile[] = [];
  if (existsSync(box.dbPath)) {
    integrity = integrityCheck(box.dbPath);
    recorded = recordedFromDb(box.dbPath);
  }
  return {
    record: {
      n,
      face,
      what,
      atMs,
      mediaAtKill: tree.media.length,
      partsAtKill: tree.parts.length,
      recordedAtKill: recorded.length,
      integrity,
    },
    recorded,
  };
}

async function cliKills(
  options: CrashOptions,
  rng: Rng,
  simEnv: Record<string, string>,
  sourcesArg: string,
  reference: CrashOutcome['reference'],
  expectedTotal: number,
  kills: KillRecord[],
  jobs: CrashOutcome['jobs'],
  problems: string[],
  notes: string[],
): Promise<void> {
  if (options.cliKills === 0) return;
  const box = makeSandbox('crash-cli');
  const env = { ...simEnv, ...box.env, ...baseConfig };
  const recordedBefore: RecordedFile[] = [];
  let pending: { id: string; kills: number } | null = null;
  let done = 0;
  let attempts = 0;
  try {
    const finish = async (job: { id: string; kills: number }): Promise<void> => {
      // A kill can land after the job ended, while the process was closing: then there is
      // nothing to resume (and `resume` rightly refuses); the job is checked as it stands.
      const ended = ['completed', 'partial', 'failed'].includes(jobStatusInDb(box.dbPath, job.id) ?? '');
      const r = ended
        ? await runCli(['job', job.id, '--json'], { cwd: box.root, env, killAfterMs: 60_000 })
        : await runCli(['resume', job.id, '--json'], { cwd: box.root, env, killAfterMs: 120_000 });
      if (ended)
        notes.push(
          `job ${job.id.slice(0, 8)}: the kill landed after the job had ended (while the process closed); checked without a resume`,
        );
      const jobProblems: string[] = [];
      let doc: JobDocument | null = null;
      if (r.code !== 0 && r.code !== 3)
        jobProblems.push(`${ended ? 'job' : 'resume'} ${job.id} exited ${r.code}: ${r.stderr.slice(-300)}`);
      else doc = parseJsonOutput<JobDocument>(r.stdout);
      if (doc) {
        if (doc.status !== 'completed' && doc.status !== 'partial')
          jobProblems.push(`job ${job.id} ended ${doc.status} after its resume`);
        jobProblems.push(...perSourceProblems(doc, reference.perSource), ...lostFiles(recordedBefore, doc));
      }
      const integrity = integrityCheck(box.dbPath);
      if (integrity !== 'ok') jobProblems.push(`integrity_check after the resume: ${integrity}`);
      const db = recordedFromDb(box.dbPath);
      jobProblems.push(...checkAgreement(db, box.downloadDir).problems);
      if (doc) {
        const fromDb = db.filter((f) => f.job_id === job.id);
        jobProblems.push(...compareRecords(recordedFromDocs([doc]), fromDb, ['the job document', 'the database']));
      }
      jobs.push({
        face: 'cli',
        job_id: job.id,
        status: doc?.status ?? `exit ${r.code}`,
        kills: job.kills,
        files: doc?.results.files.length ?? 0,
        expected: expectedTotal,
        problems: jobProblems,
      });
      problems.push(...jobProblems);
      options.log(
        `cli job ${job.id}: ${doc?.status} after ${job.kills} kill(s), ${doc?.results.files.length} files${jobProblems.length ? `; PROBLEMS: ${jobProblems.join('; ')}` : ''}`,
      );
    };

    while (done < options.cliKills && attempts < options.cliKills * 3) {
      attempts++;
      const query = `crash cli ${attempts}`;
      const args = pending
        ? ['resume', pending.id, '--json']
        : ['search', query, '--sources', sourcesArg, '--limit', String(options.limit), '--no-archive', '--json'];
      // The moment is drawn over the job's running time: from its first "[source] started" line.
      const killAtMs = rng.next() * reference.jobMs;
      const r = await runCli(args, {
        cwd: box.root,
        env,
        killAfterMs: 120_000,
        onSpawn: (child) => {
          let armed = false;
          child.stderr!.on('data', (d: Buffer) => {
            if (!armed && /\] started/.test(d.toString())) {
              armed = true;
              setTimeout(() => child.kill('SIGKILL'), killAtMs);
            }
          });
        },
      });
      if (r.signal !== 'SIGKILL') {
        // It finished before the kill came: not a kill; check it like a finished job.
        options.log(`cli run ended (exit ${r.code}) before the kill at ${killAtMs.toFixed(0)} ms`);
        if (pending) {
          await finish(pending);
          pending = null;
        }
        continue;
      }
      done++;
      const { record, recorded } = afterKill(
        kills.length + 1,
        'cli',
        pending ? `resume of ${pending.id}` : 'new search job',
        killAtMs,
        box,
      );
      kills.push(record);
      recordedBefore.push(...recorded);
      if (record.integrity !== 'ok' && record.integrity !== 'no database yet')
        problems.push(`kill ${record.n}: integrity_check: ${record.integrity}`);
      if (!pending) {
        const summary = existsSync(box.dbPath)
          ? (await cliJobs(box.root, env)).find((j) => j.query === query)
          : undefined;
        if (summary) pending = { id: summary.job_id, kills: 0 };
        else record.what += ' (killed before the job was recorded)';
      }
      if (pending) pending.kills++;
      options.log(
        `kill ${record.n} (cli, ${record.what}) at ${killAtMs.toFixed(0)} ms: ${record.recordedAtKill} recorded, ${record.mediaAtKill} media, ${record.partsAtKill} .part, integrity ${record.integrity}`,
      );
      // Sometimes kill the resume too; always finish before the suite moves on.
      if (pending && (rng.next() < 0.5 || done === options.cliKills)) {
        await finish(pending);
        pending = null;
      }
    }
    if (pending) await finish(pending);
    const all = await cliJobs(box.root, env);
    const docs = await Promise.all(all.map((j) => cliJob(box.root, env, j.job_id)));
    problems.push(
      ...compareRecords(recordedFromDocs(docs), recordedFromDb(box.dbPath), ['the job documents', 'the database']),
    );
  } finally {
    box.remove();
  }
}

async function serverKills(
  options: CrashOptions,
  rng: Rng,
  simEnv: Record<string, string>,
  _sourcesArg: string,
  reference: CrashOutcome['reference'],
  expectedTotal: number,
  kills: KillRecord[],
  jobs: CrashOutcome['jobs'],
  problems: string[],
  notes: string[],
): Promise<void> {
  if (options.serverKills === 0) return;
  const box = makeSandbox('crash-server');
  const env = { ...simEnv, ...box.env, ...baseConfig };
  const recordedBefore: RecordedFile[] = [];
  const killsPerJob = new Map<string, number>();
  let server: ServerProcess | null = null;
  let submitted = 0;
  const submit = async (s: ServerProcess): Promise<string> => {
    submitted++;
    const r = await api<{ job_id: string }>(s.origin, 'POST', '/api/jobs', {
      query: `crash server ${submitted}`,
      sources: options.sources as JobSourceName[],
      limit: options.limit,
      type: 'image',
    });
    if (r.status !== 202) throw new Error(`POST /api/jobs answered ${r.status}: ${r.text.slice(0, 300)}`);
    killsPerJob.set(r.body.job_id, 0);
    return r.body.job_id;
  };
  const inFlight = async (s: ServerProcess): Promise<string[]> =>
    (await listAllJobs(s.origin)).filter((j) => j.status === 'running' || j.status === 'queued').map((j) => j.job_id);
  try {
    server = await startServer({ env, cwd: box.root });
    // How long one job runs in a warm server: the kill moments are drawn over it.
    const t0 = performance.now();
    const first = await submit(server);
    await waitForJob(server.origin, first, 120_000, 25);
    const jobMs = performance.now() - t0;
    notes.push(`server: one job runs ${jobMs.toFixed(0)} ms in a warm server; kill moments drawn over that`);
    let attempts = 0;
    let done = 0;
    while (done < options.serverKills && attempts < options.serverKills * 4) {
      attempts++;
      // A restart resumes the interrupted jobs; add a new one when none is left, or at random.
      if ((await inFlight(server)).length === 0 || rng.next() < 0.3) await submit(server);
      const waitMs = rng.next() * jobMs;
      await new Promise((r) => setTimeout(r, waitMs));
      const running = await inFlight(server);
      if (running.length === 0) continue; // everything ended before the moment: draw again
      const started = performance.now();
      await server.stop('SIGKILL');
      done++;
      for (const id of running) killsPerJob.set(id, (killsPerJob.get(id) ?? 0) + 1);
      const { record, recorded } = afterKill(
        kills.length + 1,
        'server',
        `${running.length} job(s) in flight`,
        waitMs,
        box,
      );
      kills.push(record);
      recordedBefore.push(...recorded);
      if (record.integrity !== 'ok') problems.push(`kill ${record.n}: integrity_check: ${record.integrity}`);
      options.log(
        `kill ${record.n} (server, ${record.what}) ${waitMs.toFixed(0)} ms in: ${record.recordedAtKill} recorded, ${record.mediaAtKill} media, ${record.partsAtKill} .part, integrity ${record.integrity} (${(performance.now() - started).toFixed(0)} ms)`,
      );
      server = await startServer({ env, cwd: box.root });
    }
    // The last restart resumes what the last kill interrupted; wait for every job to end.
    const docs: JobDocument[] = [];
    for (const id of killsPerJob.keys()) {
      const doc = await waitForJob(server.origin, id, 120_000);
      const jobProblems: string[] = [];
      if (!doc) jobProblems.push(`job ${id} did not end within 120 s after the last restart`);
      else {
        docs.push(doc);
        if (doc.status !== 'completed' && doc.status !== 'partial') jobProblems.push(`job ${id} ended ${doc.status}`);
        jobProblems.push(...perSourceProblems(doc, reference.perSource), ...lostFiles(recordedBefore, doc));
      }
      jobs.push({
        face: 'server',
        job_id: id,
        status: doc?.status ?? 'stuck',
        kills: killsPerJob.get(id) ?? 0,
        files: doc?.results.files.length ?? 0,
        expected: expectedTotal,
        problems: jobProblems,
      });
      problems.push(...jobProblems);
    }
    await server.stop('SIGTERM');
    server = null;
    const integrity = integrityCheck(box.dbPath);
    if (integrity !== 'ok') problems.push(`integrity_check at the end: ${integrity}`);
    const db = recordedFromDb(box.dbPath);
    problems.push(...checkAgreement(db, box.downloadDir).problems);
    problems.push(...compareRecords(recordedFromDocs(docs), db, ['the job documents', 'the database']));
  } finally {
    if (server) await server.stop('SIGKILL');
    box.remove();
  }
}
