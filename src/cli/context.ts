// What every CLI command receives: where to write, the environment, and where to put its exit code.
import type { Writable } from 'node:stream';

export interface CliContext {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Set by the command that ran: the exit code the process ends with. */
  exitCode: number;
  /** True once a reader closed stdout or stderr (see ./closed-pipe.ts); nothing more can be shown. */
  pipeClosed?: boolean;
  /** What the running command does when that happens; without it the process exits 0 at once. */
  onPipeClosed?: (() => void) | null;
}
