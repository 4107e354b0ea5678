// `harvester demo`: the seed's real-world example, fully offline. A local simulation of the
// seed's five sources answers their real paths; bing_images accepts connections and never
// answers. A real search runs through the real adapters, runner, downloader, store and log:
// four sources finish in about one SOURCE_TIMEOUT, bing_images ends with `Timeout after 3s`,
// and the summary and the log say so.
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.ts';
import type { JobSpec } from '../../core/types.ts';
import {
  DEMO_CLI_ENV,
  DEMO_HANGING_SOURCE,
  DEMO_LIMIT,
  DEMO_QUERY,
  DEMO_SOURCES,
  startDemoSimulation,
} from '../../demo/scenario.ts';
import { logSize } from '../../log/log-tail.ts';
import type { CliContext } from '../context.ts';
import { parseDirectory } from '../options.ts';
import { EXIT_CODES_HELP, runJobCommand } from '../run-job.ts';
import { terminalLines } from '../format.ts';

export function registerDemo(program: Command, cli: CliContext): void {
  program
    .command('demo')
    .description('run a real search offline against simulated sources, one of which hangs')
    .option(
      '--out <dir>',
      'where downloads/, logs/ and data/ go (default: the current directory)',
      parseDirectory('--out'),
    )
    .option('--json', 'print the job document on stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: { out?: string; json?: boolean }) => {
      const base = resolve(cli.cwd, opts.out ?? '.');
      const { openEngine } = await import('../../jobs/engine.ts');
      const sim = await startDemoSimulation();
      try {
        // The scenario is fixed: the user's environment and .env (their keys, timeouts, origins)
        // take no part, so the demo shows the same thing on every machine.
        const config = loadConfig(
          {
            ...sim.env,
            ...DEMO_CLI_ENV,
            DOWNLOAD_DIR: join(base, 'downloads'),
            LOG_DIR: join(base, 'logs'),
            DATA_DIR: join(base, 'data'),
          },
          {},
        );
        const spec: JobSpec = {
          query: DEMO_QUERY,
          sources: [...DEMO_SOURCES],
          limit: DEMO_LIMIT,
          type: 'image',
          // Every run shows the whole scenario: nothing skipped as already downloaded, no cached
          // answers, and no cool-down of the hanging source after a few demos.
          options: { noArchive: true, noCache: true, force: true },
        };
        cli.stderr.write(
          `Harvester demo: searching "${DEMO_QUERY}" on ${DEMO_SOURCES.length} simulated sources (limit ${DEMO_LIMIT} each, ` +
            `SOURCE_TIMEOUT=${DEMO_CLI_ENV.SOURCE_TIMEOUT}s); ${DEMO_HANGING_SOURCE} accepts connections and never answers.\n\n`,
        );
        const engine = await openEngine(config);
        const logPath = engine.log.path;
        const logStart = await logSize(logPath);
        try {
          cli.exitCode = await runJobCommand(cli, engine, (service) => service.submit(spec), { json: opts.json });
        } finally {
          await engine.close();
        }
        const written = (await readFile(logPath)).subarray(logStart).toString('utf8');
        cli.stderr.write(
          `\nThe download log (${relative(cli.cwd, logPath) || logPath}) of this run:\n${terminalLines(written)}`,
        );
      } finally {
        await sim.close();
      }
    });
}
