// `harvester demo`: the seed's real-world example, fully offline. A local simulation of the
// seed's five sources answers their real paths; bing_images accepts connections and never
// answers. A real search runs through the real adapters, runner, downloader, store and log:
// four sources finish in about one SOURCE_TIMEOUT, bing_images ends with `Timeout after 3s`,
// and the summary and the log say so.
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.ts';
import type { JobSpec, SourceId } from '../../core/types.ts';
import { logSize } from '../../log/log-tail.ts';
import type { CliContext } from '../context.ts';
import { parseDirectory } from '../options.ts';
import { EXIT_CODES_HELP, runJobCommand } from '../run-job.ts';
import { terminalLines } from '../format.ts';

export const DEMO_SOURCES: readonly SourceId[] = [
  'google_images',
  'bing_images',
  'yandex_images',
  'unsplash',
  'pexels',
];
export const DEMO_HANGING_SOURCE: SourceId = 'bing_images';
export const DEMO_QUERY = 'nature';
/** Seconds: short, so the demo ends quickly, yet far above what the simulated sources need. */
export const DEMO_SOURCE_TIMEOUT = '3';
export const DEMO_LIMIT = 5;

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
      const [{ startSimulation }, { openSession }] = await Promise.all([
        import('../../demo/sim-server.ts'),
        import('../session.ts'),
      ]);
      const sim = await startSimulation({ sources: DEMO_SOURCES, hang: [DEMO_HANGING_SOURCE] });
      try {
        // The scenario is fixed: the user's environment and .env (their keys, timeouts, origins)
        // take no part, so the demo shows the same thing on every machine.
        const config = loadConfig(
          {
            ...sim.env,
            SOURCE_TIMEOUT: DEMO_SOURCE_TIMEOUT,
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
            `SOURCE_TIMEOUT=${DEMO_SOURCE_TIMEOUT}s); ${DEMO_HANGING_SOURCE} accepts connections and never answers.\n\n`,
        );
        const session = await openSession(config);
        const logPath = session.log.path;
        const logStart = await logSize(logPath);
        try {
          cli.exitCode = await runJobCommand(cli, session, (service) => service.submit(spec), { json: opts.json });
        } finally {
          await session.close();
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
