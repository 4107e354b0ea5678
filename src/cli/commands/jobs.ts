// `harvester jobs [--json]` (the history: one summary per job, newest first) and
// `harvester job <id> [--json]` (one job document; for people, per-source stats and files).
// Both read the store only: with no database yet they show an empty history and create nothing.
// At start they mark jobs whose process died `interrupted` (jobs of live processes are left).
// An unknown or ambiguous job id is a usage error: a clear message and exit 2.
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../../core/config.ts';
import { EXIT, NotFoundError } from '../../core/errors.ts';
import type { JobDocument, JobStatus, JobSummary } from '../../core/types.ts';
import type { Store } from '../../store/store.ts';
import type { CliContext } from '../context.ts';
import { formatBytes, formatDuration, formatTable, terminalLines } from '../format.ts';
import { statusPainter, type StatusPainter } from '../terminal.ts';
import { parseCount } from '../options.ts';
import { cliConfig } from '../cli-config.ts';
import { writeJobJson } from '../job-json.ts';
import { removedSummary } from '../summary.ts';
import { escapeControlChars } from '../../core/control-chars.ts';

const STATUSES: readonly JobStatus[] = [
  'queued',
  'running',
  'completed',
  'partial',
  'failed',
  'cancelled',
  'interrupted',
];
/** Jobs the human table shows unless --limit says otherwise. */
const TABLE_ROWS = 50;
/** Jobs read from the store per query. */
const PAGE = 500;
/** Shortest id prefix accepted in place of a whole job id. */
const MIN_PREFIX = 4;

/** Opens the store if it exists (null otherwise) and marks jobs of dead processes interrupted. */
export async function openExisting(config: Config): Promise<Store | null> {
  // The store (and SQLite) load only once the flags and the configuration are known to be good.
  const { openEngineStore } = await import('../../jobs/engine.ts');
  return openEngineStore(config, { ifExists: true, interrupt: 'running-and-queued' });
}

/**
 * The job id `input` names: the id itself, or a unique prefix of at least MIN_PREFIX characters
 * (job ids are UUIDs; people copy the first few). Throws NotFoundError naming what was tried.
 */
export async function resolveJobId(store: Pick<Store, 'jobs'>, input: string): Promise<string> {
  const wanted = input.trim();
  if ((await store.jobs.get(wanted)) !== null) return wanted;
  if (wanted.length >= MIN_PREFIX) {
    const matches: string[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await store.jobs.list({ limit: PAGE, offset });
      matches.push(...page.filter((j) => j.job_id.startsWith(wanted)).map((j) => j.job_id));
      if (page.length < PAGE) break;
    }
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new NotFoundError(
        `job id ${JSON.stringify(wanted)} is ambiguous: it starts ${matches.length} jobs (${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''})`,
      );
    }
  }
  throw new NotFoundError(`no job ${JSON.stringify(wanted)} (harvester jobs lists them)`);
}

function parseStatus(raw: string): JobStatus {
  if (!STATUSES.includes(raw as JobStatus)) {
    throw new InvalidArgumentError(`--status must be one of ${STATUSES.join(', ')} (got ${JSON.stringify(raw)}).`);
  }
  return raw as JobStatus;
}

const plain: StatusPainter = (status, text = status) => text;
const paintColumn = (paint: StatusPainter, column: number) => (cell: string, i: number) =>
  i === column ? paint(cell) : cell;

export function formatJobList(jobs: readonly JobSummary[], paint: StatusPainter = plain): string {
  if (jobs.length === 0) return 'No jobs yet.\n';
  return formatTable(
    ['job', 'status', 'created', 'files', 'sources', 'query'],
    jobs.map((j) => [
      j.job_id,
      j.status,
      shortTime(j.created_at),
      String(j.downloaded),
      String(j.sources.length),
      j.query,
    ]),
    paintColumn(paint, 1),
  );
}

export function formatJobDocument(doc: JobDocument, paint: StatusPainter = plain): string {
  const r = doc.results;
  const lines = [
    `Job ${doc.job_id}: ${paint(doc.status)}`,
    `Query:    ${escapeControlChars(doc.query)} (${doc.type}, up to ${doc.limit} per source)`,
    `Created:  ${doc.created_at}`,
    `Started:  ${doc.started_at ?? '-'}`,
    `Finished: ${doc.finished_at ?? '-'}${doc.duration_ms !== null ? ` (${formatDuration(doc.duration_ms)})` : ''}`,
    `Files:    ${r.downloaded} (${r.images} images, ${r.videos} videos, ${formatBytes(r.files.reduce((s, f) => s + f.bytes, 0))})`,
    `Succeeded: ${r.successful_sources.join(', ') || 'none'} | Failed: ${r.failed_sources.join(', ') || 'none'}`,
    ...removedSummary(doc)
      .split('\n')
      .filter((line) => line !== ''),
    '',
  ];
  const sourceRows = doc.sources.map((name) => {
    const s = r.source_stats[name];
    if (s === undefined) return [name, 'pending', '0', '0', '0', '0', '0', '0', '-', ''];
    return [
      name,
      s.status,
      String(s.downloaded),
      String(s.found),
      String(s.failed_downloads),
      String(s.skipped_duplicates),
      String(s.skipped_existing),
      String(s.retries),
      s.status === 'skipped' || s.status === 'pending' ? '-' : formatDuration(s.duration_ms),
      s.error ?? (s.retry_after ? `retry after ${s.retry_after}` : ''),
    ];
  });
  let text =
    lines.join('\n') +
    formatTable(
      ['source', 'status', 'saved', 'found', 'failed', 'dupes', 'existing', 'retries', 'time', 'error'],
      sourceRows,
      paintColumn(paint, 1),
    );
  if (r.files.length > 0) {
    text +=
      '\n' +
      formatTable(
        ['#', 'file', 'source', 'size', 'pixels', 'title'],
        r.files.map((f, i) => [
          String(i + 1),
          f.path,
          f.source,
          formatBytes(f.bytes),
          f.width !== null && f.height !== null ? `${f.width}x${f.height}` : '-',
          oneLine(f.title ?? ''),
        ]),
      );
  }
  return text;
}

export function registerJobs(program: Command, cli: CliContext): void {
  program
    .command('jobs')
    .description('list past and running jobs, newest first')
    .option('--json', 'print the list as a JSON array on stdout')
    .option('--status <status>', `only jobs with this status (${STATUSES.join(', ')})`, parseStatus)
    .option(
      '--limit <n>',
      `most jobs to list (default: all with --json, ${TABLE_ROWS} in the table)`,
      parseCount('--limit'),
    )
    .action(async (opts: { json?: boolean; status?: JobStatus; limit?: number }) => {
      const store = await openExisting(cliConfig(cli));
      const wanted =
        opts.limit !== undefined ? Math.max(1, opts.limit) : opts.json ? Number.POSITIVE_INFINITY : TABLE_ROWS;
      let jobs: JobSummary[] = [];
      let more = false;
      if (store !== null) {
        try {
          // One more than wanted, to say when the table leaves older jobs out.
          for (let offset = 0; jobs.length <= wanted; offset += PAGE) {
            const page = await store.jobs.list({ status: opts.status, limit: PAGE, offset });
            jobs.push(...page);
            if (page.length < PAGE) break;
          }
        } finally {
          await store.close();
        }
        more = jobs.length > wanted;
        jobs = jobs.slice(0, wanted);
      }
      if (opts.json) {
        cli.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
        return;
      }
      cli.stdout.write(formatJobList(jobs, statusPainter(cli.stdout, cli.env)));
      if (more) cli.stdout.write(`(the ${jobs.length} newest; --limit N shows more)\n`);
    });

  program
    .command('job')
    .description('show one job: its sources and files (--json: the job document)')
    .argument('<id>', 'job id (or a unique prefix of at least 4 characters)')
    .option('--json', 'print the job document on stdout')
    .action(async (id: string, opts: { json?: boolean }) => {
      const store = await openExisting(cliConfig(cli));
      if (store === null) {
        cli.stderr.write(`harvester: no job ${JSON.stringify(id)}: no job has run yet\n`);
        cli.exitCode = EXIT.usage;
        return;
      }
      try {
        const jobId = await resolveJobId(store, id);
        if (opts.json) {
          // Streamed from the store: a big job is never held whole.
          const doc = (await store.jobs.get(jobId, { files: 0 }))!;
          await writeJobJson(cli.stdout, doc, (offset, limit) => store.files.list(jobId, { offset, limit }));
        } else {
          cli.stdout.write(formatJobDocument((await store.jobs.get(jobId))!, statusPainter(cli.stdout, cli.env)));
        }
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        cli.stderr.write(`harvester: ${terminalLines(error.message)}\n`);
        cli.exitCode = EXIT.usage;
      } finally {
        await store.close();
      }
    });
}

function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
