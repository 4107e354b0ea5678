// `harvester search <query>`: one job over many sources (DESIGN §6).
import type { Command } from 'commander';
import type { JobSourceName, JobSpec, MediaType } from '../../core/types.ts';
import { DEFAULT_LIMIT } from '../../jobs/spec-rules.ts';
import { cliConfig } from '../cli-config.ts';
import type { CliContext } from '../context.ts';
import { parseDirectory, parseLimit, parseSources, parseType } from '../options.ts';
import { EXIT_CODES_HELP, runJobCommand } from '../run-job.ts';

interface SearchOptions {
  sources?: JobSourceName[];
  limit: number;
  type: MediaType;
  out?: string;
  json?: boolean;
  archive: boolean;
  cache: boolean;
  force?: boolean;
  writeMetadata?: boolean;
}

export function registerSearch(program: Command, cli: CliContext): void {
  program
    .command('search')
    .description('search sources for <query> and download what they find')
    .argument('<query>', 'what to search for')
    .option('--sources <ids>', 'comma-separated source ids (default: every configured source)', parseSources)
    .option('--limit <n>', 'files to save per source, 1-500', parseLimit, DEFAULT_LIMIT)
    .option('--type <type>', 'image, video or any', parseType, 'image' as MediaType)
    .option('--out <dir>', 'download directory (overrides DOWNLOAD_DIR)', parseDirectory('--out'))
    .option('--json', 'print the job document on stdout')
    .option('--no-archive', 'download files again even if an earlier job saved them')
    .option('--no-cache', 'ask the sources again instead of using cached search answers')
    .option('--force', 'run sources that are cooling down after repeated failures')
    .option('--write-metadata', 'write a JSON sidecar next to each file')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (query: string, opts: SearchOptions) => {
      const config = cliConfig(cli, { out: opts.out });
      // The engine loads only once the flags and the configuration are known to be good.
      const [{ validateSpec }, { openSession }] = await Promise.all([import('../../jobs/validate-spec.ts'), import('../session.ts')]);
      const spec: JobSpec = {
        query,
        sources: opts.sources ?? [],
        limit: opts.limit,
        type: opts.type,
        options: { noArchive: !opts.archive, noCache: !opts.cache, force: opts.force === true, writeMetadata: opts.writeMetadata === true },
      };
      // Bad input is refused before the store or any folder is created.
      validateSpec(spec, config);
      const session = await openSession(config);
      try {
        cli.exitCode = await runJobCommand(cli, session, (service) => service.submit(spec), { json: opts.json });
      } finally {
        await session.close();
      }
    });
}
