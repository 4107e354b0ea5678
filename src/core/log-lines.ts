// The download log's lines as readers see them: `harvester logs`, GET /api/logs and the web UI's
// log view. The file's format itself is written by src/log/download-log.ts.

/** Level names as Python's logging writes them, least severe first. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One line of the log, split into its parts. */
export interface LogLine {
  /** `2025-10-02 14:30:00,123` as written (local time), or null for a line not in the format. */
  ts: string | null;
  level: LogLevel | null;
  /** The message, or the whole line when it is not in the format. */
  message: string;
}

/** The end of the log, as GET /api/logs answers it. */
export interface LogTail {
  lines: LogLine[];
  /** Size of the file up to its last complete line when read: pass it back as `sinceOffset` to get only newer lines. */
  size: number;
  /** True when `sinceOffset` was past the end (the file rotated): `lines` is a fresh tail. */
  reset: boolean;
}
