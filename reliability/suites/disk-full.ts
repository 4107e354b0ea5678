// Disk full: DOWNLOAD_DIR is a tmpfs of a few MB (mounted here as root; where the
// machine refuses, the suite says so and does not run). A download that does not fit fails with
// "no space left on device", its partial is removed, the job and the database (on another
// disk) stay consistent, and the next job works once space is back — through the real CLI
// and the real server.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobDocument } from '../../src/core/types.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { startFaultServer } from '../../test/helpers/fault-server.ts';
import { parseJsonOutput, runCli } from '../lib/cli.ts';
import {
  checkAgreement,
  compareRecords,
  integrityCheck,
  recordedFromDb,
  recordedFromDocs,
  scanTree,
} from '../lib/disk-state.ts';
import { makeSandbox, type Sandbox } from '../lib/paths.ts';
import { isAlive } from '../lib/proc-stats.ts';
import { api, startServer, waitForJob } from '../lib/server.ts';

export interface DiskFullStep {
  face: 'cli' | 'server';
  step: string;
  jobStatus: string;
  downloaded: number;
  failed: number;
  error: string | null;
  /** Bytes free on the tmpfs after the step. */
  freeBytes: number;
  parts: number;
  problems: string[];
}

export interface DiskFullOutcome {
  method: string;
  /** Set when the suite could not run. */
  notRun: string | null;
  steps: DiskFullStep[];
}

const NO_SPACE = /no space left on device/i;

/** Mounts a tmpfs of `sizeBytes` at `dir`; returns an error message instead when the machine refuses. */
export function mountTmpfs(dir: string, sizeBytes: number): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()})`;
  }
}

export function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {}
}

function free(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills `dir` until only about `leaveBytes` are free; returns the filler's path. */
function fill(dir: string, leaveBytes: number): string {
  const path = join(dir, 'filler.bin');
  const size = Math.max(0, free(dir) - leaveBytes);
  writeFileSync(path, Buffer.alloc(size));
  return path;
}

const LOG = 'download_errors.log';

function logSize(box: Sandbox): number {
  try {
    return statSync(join(box.logDir, LOG)).size;
  } catch {
    return 0;
  }
}

/** The download log's FAILED lines for `source` written since `offset`. */
function failedSince(box: Sandbox, offset: number, source: string): string[] {
  try {
    return readFileSync(join(box.logDir, LOG))
      .subarray(offset)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.includes(`FAILED | ${source} |`));
  } catch {
    return [];
  }
}

function check(box: Sandbox, doc: JobDocument, source: string, expectNoSpace: boolean, logFrom: number): string[] {
  const problems: string[] = [];
  const stats = doc.results.source_stats[source];
  if (expectNoSpace) {
    // When some files fit, the source is partial with no error of its own; each failed file's
    // cause is in the download log (and its file_failed event).
    const lines = failedSince(box, logFrom, source);
    if (!NO_SPACE.test(stats?.error ?? '') && !lines.some((l) => NO_SPACE.test(l))) {
      problems.push(
        `neither the source error ${JSON.stringify(stats?.error)} nor the log's FAILED lines say "no space left on device"${lines[0] ? ` (${lines[0]})` : ''}`,
      );
    }
    if ((stats?.failed_downloads ?? 0) === 0) problems.push('no download failed');
  } else if (doc.status !== 'completed')
    problems.push(`the job after space came back ended ${doc.status}: ${JSON.stringify(stats?.error)}`);
  const integrity = integrityCheck(box.dbPath);
  if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
  // The filler is not a media file of any job.
  const db = recordedFromDb(box.dbPath);
  const agreement = checkAgreement(db, box.downloadDir);
  problems.push(...agreement.problems.filter((p) => !p.includes('filler.bin')));
  problems.push(
    ...compareRecords(
      recordedFromDocs([doc]),
      db.filter((f) => f.job_id === doc.job_id),
      ['the job document', 'the database'],
    ),
  );
  return problems;
}

export async function runDiskFull(options: { server: boolean; log: (line: string) => void }): Promise<DiskFullOutcome> {
  const steps: DiskFullStep[] = [];
  const faults = await startFaultServer();
  const sim = await startSimulation({ sources: ['bing_images'] });
  const method =
    'a 1 MiB tmpfs mounted on DOWNLOAD_DIR (mount -t tmpfs -o size=1048576); DATA_DIR and LOG_DIR on the ordinary disk';
  try {
    for (const face of options.server ? (['cli', 'server'] as const) : (['cli'] as const)) {
      const box = makeSandbox(`disk-full-${face}`);
      const refused = mountTmpfs(box.downloadDir, 1024 * 1024);
      if (refused) {
        box.remove();
        return { method, notRun: refused, steps };
      }
      const env = {
        ...sim.env,
        ...box.env,
        SOURCE_TIMEOUT: '5',
        MAX_FILE_SIZE_MB: '50',
        MAX_DOWNLOADS_PER_SOURCE: '1',
        RATE_LIMIT_PER_MINUTE: '0',
      };
      let server: Awaited<ReturnType<typeof startServer>> | null = null;
      const record = (step: string, doc: JobDocument, source: string, problems: string[]): void => {
        const stats = doc.results.source_stats[source];
        const tree = scanTree(box.downloadDir);
        steps.push({
          face,
          step,
          jobStatus: doc.status,
          downloaded: doc.results.downloaded,
          failed: stats?.failed_downloads ?? 0,
          error: stats?.error ?? null,
          freeBytes: free(box.downloadDir),
          parts: tree.parts.length,
          problems,
        });
        options.log(
          `${face} ${step}: ${doc.status}, ${doc.results.downloaded} saved, ${stats?.failed_downloads} failed, ${JSON.stringify(stats?.error)}, ${(free(box.downloadDir) / 1024).toFixed(0)} KiB free${problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ''}`,
        );
      };
      const job = async (query: string, args: string[], body: Record<string, unknown>): Promise<JobDocument> => {
        if (face === 'cli') {
          const r = await runCli([...args, '--json'], { cwd: box.root, env, killAfterMs: 60_000 });
          return parseJsonOutput<JobDocument>(r.stdout);
        }
        const r = await api<{ job_id: string }>(server!.origin, 'POST', '/api/jobs', { query, ...body });
        if (r.status !== 202) throw new Error(`POST /api/jobs answered ${r.status}: ${r.text.slice(0, 300)}`);
        const doc = await waitForJob(server!.origin, r.body.job_id, 60_000);
        if (!doc) throw new Error(`job ${r.body.job_id} did not end`);
        return doc;
      };
      try {
        if (face === 'server') server = await startServer({ env, cwd: box.root });
        if (face === 'cli') {
          // One file larger than the whole filesystem: ENOSPC mid-stream.
          const from = logSize(box);
          const big = await job('big', ['get', faults.url('/large?bytes=3000000')], {});
          record('one 3 MB file into 1 MiB', big, 'urls', check(box, big, 'urls', true, from));
        }
        // A search whose files stop fitting part-way: a filler leaves room for about one file.
        const filler = fill(box.downloadDir, 12 * 1024);
        const q1 = `disk full ${face}`;
        const from = logSize(box);
        const full = await job(q1, ['search', q1, '--sources', 'bing_images', '--limit', '5', '--no-archive'], {
          sources: ['bing_images'],
          limit: 5,
          type: 'image',
        });
        // Let the server's log writer flush the job's lines.
        if (server) await new Promise((r) => setTimeout(r, 300));
        record('a search with ~12 KiB free', full, 'bing_images', check(box, full, 'bing_images', true, from));
        // Space comes back: the next job works.
        rmSync(filler);
        const q2 = `space back ${face}`;
        const next = await job(q2, ['search', q2, '--sources', 'bing_images', '--limit', '5', '--no-archive'], {
          sources: ['bing_images'],
          limit: 5,
          type: 'image',
        });
        const problems = check(box, next, 'bing_images', false, 0);
        if (server && !isAlive(server.pid)) problems.push('the server died');
        record('the next search, space back', next, 'bing_images', problems);
      } finally {
        if (server) await server.stop('SIGTERM');
        unmount(box.downloadDir);
        box.remove();
      }
    }
    return { method, notRun: null, steps };
  } finally {
    await sim.close();
    await faults.close();
  }
}
