// Shapes of the API's answers as the UI reads them. Type-only imports: nothing of the server is
// bundled into the page.
export type { JobDocument, JobSummary, SavedFile, SourceStats, JobStatus } from '../core/types.ts';
export type { RunnerEvent } from '../core/events.ts';
export type { StatsReport, SourceSeries, StatsBucket } from '../server/source-stats.ts';
export type { LogTail, LogLine } from '../server/log-tail.ts';

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
  health: {
    runs: number;
    successes: number;
    success_rate: number | null;
    avg_download_ms: number | null;
    consecutive_failures: number;
    last_error: string | null;
    last_run_at: string | null;
    cooling_until: string | null;
  };
}
