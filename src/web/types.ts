// Shapes of the API's answers as the UI reads them, all from src/core/ (the UI imports nothing
// else of src/). Type-only imports: nothing of them is bundled into the page.
export type { JobDocument, JobSummary, QueryStats, SavedFile, SourceStats, JobStatus } from '../core/types.ts';
export type { RunnerEvent } from '../core/events.ts';
export type { StatsReport, StatsBucket, SourceInfo } from '../core/source-reports.ts';
export type { LogTail, LogLine } from '../core/log-lines.ts';
