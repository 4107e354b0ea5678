// What a source run is given: the source, what every source of the job shares, and which
// query it searches. Shared by the run's lifecycle, its candidate pool and the saving of a file.
import type { Config } from '../core/config.ts';
import type { JobFilters, JobSourceName, JobSpec, MediaCandidate } from '../core/types.ts';
import type { FileOutput } from '../output/file-output.ts';
import type { HttpClient } from '../http/types.ts';
import type { SearchQuery, SourceContext } from '../sources/source.ts';
import type { Store } from '../store/store.ts';
import type { Emit } from './job-events.ts';
import type { JobFileList } from './job-file-list.ts';
import type { NearDuplicates } from './near-duplicates.ts';

/** A source as the runner sees it: a registry source or the pseudo-source `urls`. */
export interface RunnableSource {
  id: JobSourceName;
  search(query: SearchQuery, ctx: SourceContext): AsyncIterable<MediaCandidate>;
  onSaved?(candidate: MediaCandidate, ctx: SourceContext): Promise<void>;
  /** The origin its requests go to ('' for `urls`). */
  origin: string;
  /** Why it cannot run with this configuration, or null. */
  notConfigured: string | null;
  /** Whether source health (cool-down, outcomes) and the search cache apply: not for `urls`. */
  tracked: boolean;
}

/** What every source of one job shares. */
export interface JobRunShared {
  jobId: string;
  spec: JobSpec;
  config: Config;
  store: Store;
  http: HttpClient;
  /** Where the job's files go (rooted at the job's DOWNLOAD_DIR). */
  output: FileOutput;
  /** The job's cancel; its reason ends the sources it cuts with error `Cancelled`. */
  signal: AbortSignal;
  emit: Emit;
  /** This process, `<host>:<pid>` (./worker-name.ts): named in the stats and events of the runs it runs. */
  worker: string;
  /** Writes a warning that is not a runner event (download log, structured log). */
  warn(message: string): void;
  /** Candidate ids seen in this run of the job (within-job de-duplication). */
  seenIds: Set<string>;
  /** Candidate ids of files saved by earlier runs of this job (resume, retry): already counted. */
  savedIds: ReadonlySet<string>;
  /** Content hashes of every file of the job. */
  seenSha: Set<string>;
  /**
   * When other processes run the job's other runs at the same time (queue workers): claims a
   * content hash for this run across all of them; false when another run of the job has it.
   */
  claimSha?(sha256: string): Promise<boolean>;
  /** The job's files: their count and the document's first page (the store has every one). */
  files: JobFileList;
  /** The job's filters that remove anything, or null (./filters.ts). */
  filters: JobFilters | null;
  /** Perceptual hashing and near-duplicate removal across the job's sources and queries. */
  nearDuplicates: NearDuplicates;
}

/** Which query a source run searches, and what earlier runs of the job left of it. */
export interface QueryRun {
  /** The query's text. */
  query: string;
  /** The folder of the query under DOWNLOAD_DIR (`querySlug(query)`). */
  slug: string;
  /** Files of this source and query saved by earlier runs of the job (resume, retry). */
  savedBefore: number;
}
