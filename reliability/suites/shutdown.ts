// Graceful shutdown: SIGTERM to the real server while jobs run and others wait in
// its queue. It must stop accepting jobs, end within a bounded drain time, mark every
// unfinished job `interrupted`, exit 0, leave no partial file — and the next start resumes
// those jobs to their end.
import Database from 'better-sqlite3';
import type { JobDocument, JobSourceName, SourceId } from '../../src/core/types.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { checkAgreement, integrityCheck, recordedFromDb, scanTree } from '../lib/disk-state.ts';
import { makeSandbox } from '../lib/paths.ts';
import { api, listAllJobs, startServer, waitForJob } from '../lib/server.ts';

export interface ShutdownOutcome {
  jobs: number;
  runningAtSignal: number;
  queuedAtSignal: number;
  filesAtSignal: number;
  /** SIGTERM to exit, ms. */
  exitMs: number;
  exitCode: number | null;
  exitSignal: string | null;
  /** What POST /api/jobs got while the server was stopping. */
  postsDuringDrain: string[];
  /** Job statuses in the database after the exit. */
  statusesAfterExit: Record<string, number>;
  partsAfterExit: number;
  /** After the restart: how each job ended, and how long the resume took, ms. */
  statusesAfterResume: Record<string, number>;
  resumeMs: number;
  problems: string[];
}

export const DRAIN_BOUND_MS = 5_000;
const SOURCES: SourceId[] = ['bing_images', 'pexels', 'wikimedia_commons'];

export async function runShutdown(options: { jobs: number; log: (line: string) => void }): Promise<ShutdownOutcome> {
  const box = makeSandbox('shutdown');
  const sim = await startSimulation({ sources: SOURCES, latencyMs: 250 });
  const env = {
    ...sim.env,
    ...box.env,
    SOURCE_TIMEOUT: '30',
    MAX_DOWNLOADS_PER_SOURCE: '1',
    MAX_CONCURRENT_JOBS: '2',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  const problems: string[] = [];
  let server = await startServer({ env, cwd: box.root });
  try {
    const ids: string[] = [];
    for (let i = 0; i < options.jobs; i++) {
      const r = await api<{ job_id: string }>(server.origin, 'POST', '/api/jobs', {
        query: `shutdown ${i}`,
        sources: SOURCES as JobSourceName[],
        limit: 8,
        type: 'image',
      });
      if (r.status !== 202) throw new Error(`POST /api/jobs answered ${r.status}: ${r.text.slice(0, 200)}`);
      ids.push(r.body.job_id);
    }
    // Let the running jobs save a few files first.
    const deadline = Date.now() + 15_000;
    let jobsNow = await listAllJobs(server.origin);
    while (scanTree(box.downloadDir).media.length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    jobsNow = await listAllJobs(server.origin);
    const runningAtSignal = jobsNow.filter((j) => j.status === 'running').length;
    const queuedAtSignal = jobsNow.filter((j) => j.status === 'queued').length;
    const filesAtSignal = scanTree(box.downloadDir).media.length;
    options.log(`SIGTERM with ${runningAtSignal} running, ${queuedAtSignal} queued, ${filesAtSignal} files saved`);
    const posts: string[] = [];
    let stopping = true;
    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    // Only one signal: a second SIGTERM would find the handlers gone and kill the process.
    const guard = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
    // A request already on its way when the signal lands may still be taken (and is then
    // interrupted and resumed like the others); the check starts a moment after the signal.
    await new Promise((r) => setTimeout(r, 20));
    const poster = (async () => {
      while (stopping) {
        try {
          const r = await api(server.origin, 'POST', '/api/jobs', {
            query: 'during drain',
            sources: ['bing_images'],
            limit: 1,
            type: 'image',
          });
          posts.push(String(r.status));
        } catch (error) {
          posts.push((error as { cause?: { code?: string } }).cause?.code ?? 'error');
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const exited = await server.exited;
    clearTimeout(guard);
    const exit = { ...exited, ms: performance.now() - signalledAt };
    stopping = false;
    await poster;
    const accepted = posts.filter((p) => p === '202').length;
    if (accepted > 0) problems.push(`${accepted} job(s) were accepted (202) after SIGTERM`);
    if (exit.code !== 0) problems.push(`exit code ${exit.code} (signal ${exit.signal}), expected 0`);
    if (exit.ms > DRAIN_BOUND_MS) problems.push(`took ${exit.ms.toFixed(0)} ms to exit, bound ${DRAIN_BOUND_MS} ms`);
    const db = new Database(box.dbPath, { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT job_id, status FROM jobs').all() as { job_id: string; status: string }[];
    db.close();
    const statusesAfterExit: Record<string, number> = {};
    for (const r of rows) statusesAfterExit[r.status] = (statusesAfterExit[r.status] ?? 0) + 1;
    for (const r of rows)
      if (ids.includes(r.job_id) && r.status !== 'interrupted' && r.status !== 'completed' && r.status !== 'partial')
        problems.push(`job ${r.job_id} is ${r.status} after the stop, expected interrupted`);
    const partsAfterExit = scanTree(box.downloadDir).parts.length;
    const integrity = integrityCheck(box.dbPath);
    if (integrity !== 'ok') problems.push(`integrity_check after the stop: ${integrity}`);
    problems.push(...checkAgreement(recordedFromDb(box.dbPath), box.downloadDir).problems);

    // The next start resumes them.
    const t0 = performance.now();
    server = await startServer({ env, cwd: box.root });
    const statusesAfterResume: Record<string, number> = {};
    for (const id of ids) {
      const doc: JobDocument | null = await waitForJob(server.origin, id, 60_000);
      const status = doc?.status ?? 'stuck';
      statusesAfterResume[status] = (statusesAfterResume[status] ?? 0) + 1;
      if (status !== 'completed') problems.push(`job ${id} ended ${status} after the restart`);
    }
    const resumeMs = performance.now() - t0;
    await server.stop('SIGTERM');
    problems.push(...checkAgreement(recordedFromDb(box.dbPath), box.downloadDir).problems);
    return {
      jobs: options.jobs,
      runningAtSignal,
      queuedAtSignal,
      filesAtSignal,
      exitMs: exit.ms,
      exitCode: exit.code,
      exitSignal: exit.signal,
      postsDuringDrain: posts,
      statusesAfterExit,
      partsAfterExit,
      statusesAfterResume,
      resumeMs,
      problems,
    };
  } finally {
    await server.stop('SIGKILL');
    await sim.close();
    box.remove();
  }
}
