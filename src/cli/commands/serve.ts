// `harvester serve [--host H] [--port N] [--demo] [--worker] [--insecure-public]`: the HTTP API and web UI.
// With REDIS_URL it accepts, stores and streams jobs that queue workers run (`--worker`: one in here).
// Runs until SIGINT or SIGTERM; then running jobs are interrupted (the next start resumes them;
// in the distributed mode the queue keeps them) and the process exits 0.
import { InvalidArgumentError, type Command } from 'commander';
import { describeCluster, readDotenv } from '../../core/config.ts';
import { EXIT } from '../../core/errors.ts';
import type { CliContext } from '../context.ts';
import { exitAbandoningRedis, untilStopSignal } from '../stop-signal.ts';

interface ServeFlags {
  host?: string;
  port?: number;
  demo?: boolean;
  insecurePublic?: boolean;
  worker?: boolean;
}

export function parsePort(raw: string): number {
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535)
    throw new InvalidArgumentError('expected a port, an integer from 0 to 65535');
  return Number(raw);
}

function parseHost(raw: string): string {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(raw)) throw new InvalidArgumentError('expected a host name or IP address');
  return raw;
}

export function registerServe(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description('run the HTTP API and the web UI (default http://127.0.0.1:8080)')
    .option('--host <host>', 'address to listen on (overrides HOST; default 127.0.0.1)', parseHost)
    .option('--port <n>', 'port to listen on (overrides PORT; default 8080; 0 picks a free one)', parsePort)
    .option('--demo', 'run offline against simulated sources (one of them hangs) with short timeouts')
    .option('--worker', 'distributed mode (REDIS_URL): also take source runs in this process')
    .option('--insecure-public', 'allow a non-loopback address without API_TOKEN (anyone who can reach it can use it)')
    .action(async (flags: ServeFlags) => {
      // Loaded here, not at the top: every other command would otherwise pay for Fastify at start-up.
      const { startServer } = await import('../../server/start.ts');
      const server = await startServer({
        env: cli.env,
        dotenv: readDotenv(cli.cwd),
        host: flags.host,
        port: flags.port,
        demo: flags.demo === true,
        insecurePublic: flags.insecurePublic === true,
        worker: flags.worker === true,
        stderr: cli.stderr,
      });
      const { config } = server;
      cli.stderr.write(
        `harvester: serving ${server.url}/ ` +
          `(API ${server.url}/api, ${config.apiToken ? 'token required' : 'no token'}, ` +
          `at most ${config.maxConcurrentJobs} jobs at once, files in ${config.downloadDir}` +
          `${config.redisUrl === null ? '' : `; ${describeCluster(config)}`})\n`,
      );
      if (server.simulation) {
        cli.stderr.write(
          'harvester: demo mode: simulated sources, bing_images hangs and times out after SOURCE_TIMEOUT\n',
        );
      }
      // The machine-readable line a supervisor or test can wait for.
      cli.stdout.write(`${server.url}\n`);

      const signal = await untilStopSignal();
      const why = signal === 'disconnect' ? 'the process that started this server ended' : signal;
      const jobsThen =
        config.redisUrl === null
          ? 'running jobs are interrupted and resume at the next start'
          : flags.worker === true
            ? 'the queue keeps its jobs; the source runs of this process end by their deadline'
            : 'the queue keeps its jobs; workers go on with them';
      cli.stderr.write(`harvester: ${why}: stopping (${jobsThen})\n`);
      if (!(await server.close())) exitAbandoningRedis(cli);
      cli.exitCode = EXIT.completed;
    });
}
