// The `harvester` command: parses argv and hands each command to its module under
// ./commands/. Usage and configuration errors exit 2, before any work.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, EXIT, errorMessage, exitCodeFor } from '../core/errors.ts';
import { endQuietlyOnClosedPipe } from './closed-pipe.ts';
import type { CliContext } from './context.ts';
import { registerSearch } from './commands/search.ts';
import { registerGet } from './commands/get.ts';
import { registerLogs } from './commands/logs.ts';
import { registerSources } from './commands/sources.ts';
import { registerDemo } from './commands/demo.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerResume } from './commands/resume.ts';
import { registerServe } from './commands/serve.ts';
import { registerExport } from './commands/export.ts';
import { registerWorker } from './commands/worker.ts';
import { terminalLines } from './format.ts';

/** The package's version, from its package.json (bin/harvester.js answers `--version` alone from it too). */
function packageVersion(): string {
  const packageJson = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/** Runs the CLI with `argv` (without `node` and the script) and resolves with the exit code. */
export async function main(argv: string[], ctx: Partial<CliContext> = {}): Promise<number> {
  const cli: CliContext = {
    stdout: ctx.stdout ?? process.stdout,
    stderr: ctx.stderr ?? process.stderr,
    env: ctx.env ?? process.env,
    cwd: ctx.cwd ?? process.cwd(),
    exitCode: EXIT.completed,
  };
  endQuietlyOnClosedPipe(cli);
  const program = new Command('harvester')
    .description('Search many image and video sources at once and download what they find, under hard timeouts.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({
      writeOut: (s) => cli.stdout.write(s),
      writeErr: (s) => cli.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)');

  for (const register of [
    registerSearch,
    registerGet,
    registerResume,
    registerJobs,
    registerExport,
    registerSources,
    registerLogs,
    registerServe,
    registerWorker,
    registerDemo,
  ]) {
    register(program, cli);
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; every other parse failure is a usage error.
      return error.exitCode === 0 ? EXIT.completed : EXIT.usage;
    }
    if (error instanceof ConfigError) {
      cli.stderr.write(`harvester: ${terminalLines(error.message)}\n`);
      return EXIT.usage;
    }
    cli.stderr.write(`harvester: ${terminalLines(errorMessage(error))}\n`);
    return exitCodeFor(error);
  }
}
