// `harvester logs [-n N] [--follow] [--errors]`: the tail of LOG_DIR/download_errors.log.
import { join } from 'node:path';
import type { Command } from 'commander';
import { DOWNLOAD_LOG_FILE, isErrorLine } from '../../log/download-log.ts';
import { followLog, logLineText, logSize, tailLog } from '../../log/log-tail.ts';
import type { CliContext } from '../context.ts';
import { parseCount } from '../options.ts';
import { cliConfig } from '../cli-config.ts';
import { terminalLines } from '../format.ts';

interface LogsOptions {
  lines: number;
  follow?: boolean;
  errors?: boolean;
}

export function registerLogs(program: Command, cli: CliContext): void {
  program
    .command('logs')
    .description(`show the end of the download log (LOG_DIR/${DOWNLOAD_LOG_FILE})`)
    .option('-n, --lines <n>', 'lines to show', parseCount('--lines'), 50)
    .option('-f, --follow', 'keep printing lines as they are written (Ctrl-C to stop)')
    .option('--errors', 'only errors: ERROR and CRITICAL lines, FAILED and TIMEOUT events')
    .action(async (opts: LogsOptions) => {
      const config = cliConfig(cli);
      const path = join(config.logDir, DOWNLOAD_LOG_FILE);
      const keep = opts.errors ? isErrorLine : () => true;
      const tail = await tailLog(path, { lines: opts.lines, errorsOnly: opts.errors });
      const lines = tail.lines.map(logLineText);
      if (lines.length > 0) cli.stdout.write(`${terminalLines(lines.join('\n'))}\n`);
      else if (!opts.follow)
        cli.stderr.write((await logSize(path)) === 0 ? `no log yet at ${path}\n` : 'no matching lines\n');
      if (!opts.follow) return;
      const stop = new AbortController();
      const onSigint = (): void => stop.abort();
      process.on('SIGINT', onSigint);
      try {
        await followLog(
          path,
          tail.size,
          (line) => keep(line) && cli.stdout.write(`${terminalLines(line)}\n`),
          stop.signal,
        );
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
