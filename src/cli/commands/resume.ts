// `harvester resume <job> [--json]`: finishes an interrupted (or cancelled) job — disk and store
// are reconciled first, sources that had not ended run again, files already saved are kept and
// not downloaded again. `harvester retry <job> [--json]`: reruns only the sources of an ended
// job whose `error` was set. Both run through the JobService like `search`: live progress and a
// summary on stderr, the job document on stdout with --json, exit 0/3/1/130 by the job's end.
// An unknown job, or one in a state the command does not apply to, is a usage error (exit 2)
// with a message that says why and what to do instead.
import type { Command } from 'commander';
import { ConflictError, EXIT, NotFoundError } from '../../core/errors.ts';
import type { CliContext } from '../context.ts';
import { EXIT_CODES_HELP, runJobCommand } from '../run-job.ts';
import { cliConfig } from '../cli-config.ts';
import { resolveJobId } from './jobs.ts';
import { terminalLines } from '../format.ts';

interface RerunOptions {
  json?: boolean;
}

type Mode = 'resume' | 'retry';

async function rerun(cli: CliContext, mode: Mode, id: string, opts: RerunOptions): Promise<void> {
  // No --out: the job's files go back into the folder it was started with (its spec records it).
  const config = cliConfig(cli);
  // The engine loads only once the flags and the configuration are known to be good.
  const { openEngine } = await import('../../jobs/engine.ts');
  const engine = await openEngine(config);
  try {
    let jobId: string;
    try {
      jobId = await resolveJobId(engine.store, id);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      cli.stderr.write(`harvester: ${terminalLines(error.message)}\n`);
      cli.exitCode = EXIT.usage;
      return;
    }
    try {
      cli.exitCode = await runJobCommand(
        cli,
        engine,
        (service) => (mode === 'resume' ? service.resume(jobId) : service.retry(jobId)),
        {
          json: opts.json,
        },
      );
    } catch (error) {
      // Refused before anything ran: the job is running elsewhere, already complete, nothing failed…
      if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      cli.stderr.write(`harvester: cannot ${mode}: ${terminalLines(error.message)}\n`);
      cli.exitCode = EXIT.usage;
    }
  } finally {
    await engine.close();
  }
}

export function registerResume(program: Command, cli: CliContext): void {
  program
    .command('resume')
    .description('finish an interrupted or cancelled job without downloading again what it saved')
    .argument('<job>', 'job id (or a unique prefix of at least 4 characters)')
    .option('--json', 'print the job document on stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action((id: string, opts: RerunOptions) => rerun(cli, 'resume', id, opts));

  program
    .command('retry')
    .description('rerun only the sources of an ended job that failed')
    .argument('<job>', 'job id (or a unique prefix of at least 4 characters)')
    .option('--json', 'print the job document on stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action((id: string, opts: RerunOptions) => rerun(cli, 'retry', id, opts));
}
