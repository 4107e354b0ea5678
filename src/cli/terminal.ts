// What the stream on the other end can take. Cursor control (the live progress that redraws its
// lines) needs a terminal that understands it: a TTY whose TERM is not `dumb`. Colour follows
// the two conventions people set once for every tool: NO_COLOR (https://no-color.org) turns it
// off, FORCE_COLOR (https://force-color.org) turns it on even into a pipe and wins over NO_COLOR;
// otherwise colour goes where cursor control does.
import type { JobStatus, SourceStatus } from '../core/types.ts';

type Env = Record<string, string | undefined>;
interface Stream {
  isTTY?: boolean;
}

const isSet = (value: string | undefined): boolean => value !== undefined && value !== '';

/** True when `stream` is a terminal that takes cursor-control sequences. */
export function canMoveCursor(stream: Stream, env: Env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** True when text written to `stream` should be coloured. */
export function wantsColour(stream: Stream, env: Env): boolean {
  if (isSet(env.FORCE_COLOR)) return true;
  if (isSet(env.NO_COLOR)) return false;
  return canMoveCursor(stream, env);
}

const GREEN = ['\x1b[32m', '\x1b[39m'] as const;
const YELLOW = ['\x1b[33m', '\x1b[39m'] as const;
const RED = ['\x1b[31m', '\x1b[39m'] as const;
const DIM = ['\x1b[2m', '\x1b[22m'] as const;

const STATUS_COLOURS: Partial<Record<SourceStatus | JobStatus, readonly [string, string]>> = {
  ok: GREEN,
  completed: GREEN,
  partial: YELLOW,
  cancelled: YELLOW,
  interrupted: YELLOW,
  failed: RED,
  skipped: DIM,
};

/** Paints a status word (a source's or a job's), or returns it as it is. */
export type StatusPainter = (status: string, text?: string) => string;

/** A painter for `stream`: colours statuses when the stream wants colour, else leaves text alone. */
export function statusPainter(stream: Stream, env: Env): StatusPainter {
  if (!wantsColour(stream, env)) return (status, text = status) => text;
  return (status, text = status) => {
    const colour = STATUS_COLOURS[status as SourceStatus | JobStatus];
    return colour ? `${colour[0]}${text}${colour[1]}` : text;
  };
}
