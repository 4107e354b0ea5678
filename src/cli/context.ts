// What every CLI command receives: where to write, the environment, and where to put its exit code.
import type { Writable } from 'node:stream';

export interface CliContext {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Set by the command that ran (DESIGN §6 exit codes). */
  exitCode: number;
}
