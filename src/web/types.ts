// Shapes of the API's answers as the UI reads them. Type-only imports: nothing of the server is
// bundled into the page.
export type { JobDocument, JobSummary, SavedFile, SourceStats, JobStatus } from '../core/types.ts';
export type { RunnerEvent } from '../core/events.ts';
export type { StatsReport, StatsBucket } from '../server/source-stats.ts';
export type { LogTail, LogLine } from '../core/log-lines.ts';
import type { SourceHealth } from '../store/store.ts';

export interface SourceInfo {
  id: string;
  name: string;
  kinds: string[];
  example: string;
  key_variable: string | null;
  configured: boolean;
  reason: string | null;
  state: 'ready' | 'needs_key' | 'cooling_down';
  origin: string;
  origin_overridden: boolean;
  /** The store's health record as the API sends it (GET /api/sources). */
  health: Omit<SourceHealth, 'source' | 'last_error_at'>;
}
