// `harvester search <query…>`: one job over many sources and one or many queries.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import type { JobFilters, JobSourceName, JobSpec, LicenseFilter, MediaType, Orientation } from '../../core/types.ts';
import { DEFAULT_LIMIT, MAX_QUERIES, parseQueriesFile, uniqueQueries } from '../../core/spec-rules.ts';
import { cliConfig } from '../cli-config.ts';
import type { CliContext } from '../context.ts';
import {
  parseDimension,
  parseDirectory,
  parseLicenseFilter,
  parseLimit,
  parseOrientation,
  parseSources,
  parseType,
} from '../options.ts';
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
  queries?: string;
  minWidth?: number;
  minHeight?: number;
  orientation?: Orientation;
  license?: LicenseFilter;
  keepNearDuplicates?: boolean;
}

export function registerSearch(program: Command, cli: CliContext): void {
  program
    .command('search')
    .description('search sources for each <query> and download what they find, as one job')
    .argument('[query...]', 'what to search for (several queries: one job, every source runs each)')
    .option('--queries <file>', 'read queries from FILE, one a line (# comments and blank lines skipped)')
    .option(
      '--min-width <px>',
      'keep only pictures at least this wide (checked on the claim, then on the file)',
      parseDimension('--min-width'),
    )
    .option(
      '--min-height <px>',
      'keep only pictures at least this tall (checked on the claim, then on the file)',
      parseDimension('--min-height'),
    )
    .option('--orientation <o>', 'landscape, portrait or square (sides within 1% of each other)', parseOrientation)
    .option(
      '--license <l>',
      'any (default), open (Creative Commons or public domain) or commercial (allows commercial use); open and commercial drop files without licence information',
      parseLicenseFilter,
    )
    .option(
      '--keep-near-duplicates',
      'keep images that look the same as one already kept (by default they are removed, see NEAR_DUPLICATE_DISTANCE)',
    )
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
    .action(async (given: string[], opts: SearchOptions) => {
      const queries = uniqueQueries([
        ...given.map((q) => q.trim()),
        ...(opts.queries !== undefined ? readQueries(opts.queries) : []),
      ]);
      if (queries.length === 0) throw new ConfigError('search needs a query (arguments or --queries FILE)');
      if (queries.length > MAX_QUERIES)
        throw new ConfigError(`a job holds at most ${MAX_QUERIES} queries (got ${queries.length})`);
      const config = cliConfig(cli, { out: opts.out });
      // The engine loads only once the flags and the configuration are known to be good.
      const [{ validateSpec }, { openEngine }] = await Promise.all([
        import('../../jobs/validate-spec.ts'),
        import('../../jobs/engine.ts'),
      ]);
      const filters: JobFilters = {};
      if (opts.minWidth !== undefined) filters.min_width = opts.minWidth;
      if (opts.minHeight !== undefined) filters.min_height = opts.minHeight;
      if (opts.orientation !== undefined) filters.orientation = opts.orientation;
      if (opts.license !== undefined) filters.license = opts.license;
      const spec: JobSpec = {
        query: queries[0]!,
        ...(queries.length > 1 ? { queries } : {}),
        ...(Object.keys(filters).length > 0 ? { filters } : {}),
        ...(opts.keepNearDuplicates ? { keepNearDuplicates: true } : {}),
        sources: opts.sources ?? [],
        limit: opts.limit,
        type: opts.type,
        options: {
          noArchive: !opts.archive,
          noCache: !opts.cache,
          force: opts.force === true,
          writeMetadata: opts.writeMetadata === true,
        },
      };
      // Bad input is refused before the store or any folder is created.
      validateSpec(spec, config);
      const engine = await openEngine(config);
      try {
        cli.exitCode = await runJobCommand(cli, engine, (service) => service.submit(spec), { json: opts.json });
      } finally {
        await engine.close();
      }
    });
}

/** The queries of a `--queries` file; a file that cannot be read is a usage error. */
function readQueries(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `--queries: cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return parseQueriesFile(text);
}
