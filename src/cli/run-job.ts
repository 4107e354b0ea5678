// Runs one job from a command (search, get, demo; resume and retry may use it too) and reports
// it: live progress and a summary on stderr, the job document on stdout with --json, the exit
// code of ExitCode (core/errors.ts). Ctrl-C cancels every source at once and still writes the summary and the
// log (exit 130); a second Ctrl-C leaves immediately.
import { EXIT } from '../core/errors.ts';
import { DOCUMENT_FILES_MAX, type JobDocument, type JobStatus } from '../core/types.ts';
import type { Engine } from '../jobs/engine.ts';
import type { JobService } from '../jobs/service.ts';
import type { CliContext } from './context.ts';
import { writeJobJson } from './job-json.ts';
import { createProgress } from './progress.ts';
import { formatSummary } from './summary.ts';
import { statusPainter } from './terminal.ts';

/** Help text of every command that runs a job (with the exit codes). */
export const EXIT_CODES_HELP =
  '\nExit codes: 0 completed, 3 partial (some sources failed), 1 failed (no source succeeded),\n' +
  '2 usage or configuration error (nothing was started), 130 interrupted (Ctrl-C).\n';

/** The exit code of a job that ended with `status`. */
export function exitCodeForJob(status: JobStatus): number {
  switch (status) {
    case 'completed':
      return EXIT.completed;
    case 'partial':
      return EXIT.partial;
    case 'cancelled':
    case 'interrupted':
      return EXIT.interrupted;
    default:
      return EXIT.failed;
  }
}

export interface JobCommandOptions {
  /** Print the final job document on stdout. */
  json?: boolean;
}

/** Starts a job with `start` (submit, resume, retry), follows it to its end and returns the exit code. */
export async function runJobCommand(
  cli: CliContext,
  engine: Pick<Engine, 'config' | 'log' | 'jobs' | 'flushNow'>,
  start: (service: JobService) => Promise<JobDocument>,
  options: JobCommandOptions = {},
): Promise<number> {
  const service = engine.jobs;
  let jobId: string | null = null;
  let interrupts = 0;
  const progress = createProgress(cli.stderr, { jobId: () => jobId, env: cli.env });
  const unsubscribe = service.subscribe((event) => progress.onEvent(event));
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) {
      engine.flushNow();
      cli.stderr.write('\nharvester: interrupted again: leaving now\n');
      process.exit(EXIT.interrupted);
    }
    cli.stderr.write('\nharvester: interrupted: cancelling every source (Ctrl-C again to leave at once)\n');
    if (jobId !== null) void service.cancel(jobId);
  };
  process.on('SIGINT', onSigint);
  // The reader of our output went away: nobody sees the job any more, so it stops as on Ctrl-C
  // (files so far kept, resumable) and the command ends quietly with exit 0.
  cli.onPipeClosed = () => {
    if (jobId !== null) void service.cancel(jobId);
  };
  try {
    const started = await start(service);
    jobId = started.job_id;
    // Ctrl-C (or a closed pipe) while the job was being recorded: cancel it now that it has an id.
    if (interrupts > 0 || cli.pipeClosed) await service.cancel(jobId);
    // The document with its first files only; --json reads the rest page by page, so memory stays flat.
    const doc = await service.wait(jobId, { files: DOCUMENT_FILES_MAX });
    progress.stop();
    if (cli.pipeClosed) return EXIT.completed;
    const paint = statusPainter(cli.stderr, cli.env);
    cli.stderr.write(
      formatSummary(doc, { downloadDir: engine.config.downloadDir, logPath: engine.log.path, cwd: cli.cwd, paint }),
    );
    if (options.json) {
      const id = jobId;
      await writeJobJson(
        cli.stdout,
        doc,
        async (offset, limit) => (await service.files(id, { offset, limit }))?.files ?? [],
      );
    }
    return exitCodeForJob(doc.status);
  } finally {
    progress.stop();
    unsubscribe();
    process.off('SIGINT', onSigint);
    cli.onPipeClosed = null;
  }
}
