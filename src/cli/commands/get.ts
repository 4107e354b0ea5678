// `harvester get <url…>` / `get --input FILE`: a list of media URLs through the same engine as a
// search (the pseudo-source `urls`: same deadline rules, checks, log and job document).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, errorMessage } from '../../core/errors.ts';
import type { JobSpec } from '../../core/types.ts';
import { parseUrlList, urlsQueryName, validateUrls } from '../../jobs/urls-source.ts';
import { cliConfig } from '../cli-config.ts';
import type { CliContext } from '../context.ts';
import { parseDirectory } from '../options.ts';
import { EXIT_CODES_HELP, runJobCommand } from '../run-job.ts';

interface GetOptions {
  input?: string;
  out?: string;
  json?: boolean;
  archive: boolean;
}

async function readInput(file: string, cli: CliContext): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(resolve(cli.cwd, file), 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read --input ${file}: ${errorMessage(error)}`);
  }
}

export function registerGet(program: Command, cli: CliContext): void {
  program
    .command('get')
    .description('download a list of media URLs (arguments and/or --input FILE)')
    .argument('[urls...]', 'media URLs')
    .option('-i, --input <file>', 'read URLs from FILE, one a line (# comments and blank lines skipped); - reads stdin')
    .option('--out <dir>', 'download directory (overrides DOWNLOAD_DIR)', parseDirectory('--out'))
    .option('--json', 'print the job document on stdout')
    .option('--no-archive', 'download files again even if an earlier job saved them')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (args: string[], opts: GetOptions) => {
      const config = cliConfig(cli, { out: opts.out });
      const urls = [...args];
      if (opts.input !== undefined) urls.push(...parseUrlList(await readInput(opts.input, cli)));
      validateUrls(urls);
      const [{ validateSpec }, { openEngine }] = await Promise.all([
        import('../../jobs/validate-spec.ts'),
        import('../../jobs/engine.ts'),
      ]);
      const spec: JobSpec = {
        query: urlsQueryName(urls, opts.input),
        sources: [],
        limit: urls.length,
        type: 'any',
        urls,
        options: { noArchive: !opts.archive },
      };
      const valid = validateSpec(spec, config);
      // A list of URLs is never hashed for near-duplicates: no image decoder to load.
      const engine = await openEngine(config, { perceptualHashing: false });
      try {
        cli.exitCode = await runJobCommand(cli, engine, (service) => service.submit(valid), { json: opts.json });
      } finally {
        await engine.close();
      }
    });
}
