// A reader that goes away early (`harvester jobs | head -1`) closes our end of the pipe, and the
// next write fails with EPIPE. That is the reader's choice, not our failure: C tools die quietly
// of SIGPIPE, which Node ignores, so without this the error surfaced as a stack trace and exit 1.
// Now the command's own `onPipeClosed` runs (a running job is cancelled, so its files, log and
// store stay consistent) or, when it has none, the process ends at once with exit 0.
import { EXIT } from '../core/errors.ts';
import type { CliContext } from './context.ts';

const CLOSED_PIPE_CODES = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/** Watches the process's own stdout and stderr (streams a caller passed in are theirs to handle). */
export function endQuietlyOnClosedPipe(cli: CliContext): void {
  for (const stream of new Set([cli.stdout, cli.stderr])) {
    if (stream !== process.stdout && stream !== process.stderr) continue;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (!CLOSED_PIPE_CODES.has(error.code ?? '')) throw error;
      if (cli.pipeClosed) return;
      cli.pipeClosed = true;
      if (cli.onPipeClosed) cli.onPipeClosed();
      else process.exit(EXIT.completed);
    });
  }
}
