// The stats of a job's source runs as one process keeps them while it runs some of them: each
// run's stats, each source's sum over its runs, each query's totals, and how they are recorded.
// A one-query job's runs are its source stats themselves; a several-query job records each run
// and keeps each source's sum over its runs. The in-process runner (./runner.ts) keeps the book
// for every run of a job; a queue worker (src/queue/) keeps it for the one run it was handed,
// with `shared` set: other processes record the job's other runs meanwhile, so a source's sum is
// taken over the runs as the store has them.
import {
  oneQueryStats,
  queryStatsOf,
  settleSourceStats,
  sumSourceStats,
  type RunStats,
  type SourceFailure,
} from '../core/job-results.ts';
import { emptySourceStats, specQueries, type JobDocument, type JobSourceName, type JobSpec } from '../core/types.ts';
import type { Store } from '../store/store.ts';
import { runKeyId, type RunKey } from './run-keys.ts';

/** Files earlier runs of the job saved for one source run: a rerun starts over from them (facts on disk). */
export interface RunFiles {
  count: number;
  images: number;
  bytes: number;
}

export class RunBook {
  readonly queries: string[];
  readonly single: boolean;
  readonly queryStats: ReturnType<typeof queryStatsOf>;
  private readonly runs = new Map<string, RunStats>();
  private readonly runsOfQuery: RunStats[][];
  private readonly runsOfSource: Map<string, RunStats[]>;
  private readonly files = new Map<string, RunFiles>();
  /** Runs this process restarted: their stats here are the live ones (see `shared`). */
  private readonly owned = new Set<string>();

  private constructor(
    private readonly job: JobDocument,
    private readonly spec: JobSpec,
    private readonly store: Pick<Store, 'jobs'>,
    private readonly shared: boolean,
    recorded: readonly RunStats[],
  ) {
    this.queries = specQueries(spec);
    this.single = this.queries.length === 1;
    const stats = job.results.source_stats;
    for (const name of spec.sources) stats[name] ??= emptySourceStats();
    const recordedById = new Map(recorded.map((r) => [runKeyId(r), r.stats]));
    this.runsOfQuery = this.queries.map(() => []);
    this.runsOfSource = new Map(spec.sources.map((s) => [s, []]));
    for (const [query] of this.queries.entries()) {
      for (const source of spec.sources) {
        const run: RunStats = {
          query,
          source,
          stats: this.single ? stats[source]! : (recordedById.get(runKeyId({ query, source })) ?? emptySourceStats()),
        };
        this.runs.set(runKeyId(run), run);
        this.runsOfQuery[query]!.push(run);
        this.runsOfSource.get(source)!.push(run);
      }
    }
    this.queryStats = queryStatsOf(this.queries, [...this.runs.values()]);
    const queryIndex = new Map(this.queries.map((q, i) => [q, i]));
    for (const f of job.results.files) {
      const id = runKeyId({ query: queryIndex.get(f.query) ?? 0, source: f.source });
      const entry = this.files.get(id) ?? { count: 0, images: 0, bytes: 0 };
      entry.count++;
      if (f.kind === 'image') entry.images++;
      entry.bytes += f.bytes;
      this.files.set(id, entry);
    }
  }

  /** The book of `job` as recorded (`job` is updated in place as runs change). */
  static async open(
    job: JobDocument,
    spec: JobSpec,
    store: Pick<Store, 'jobs'>,
    options: { shared?: boolean } = {},
  ): Promise<RunBook> {
    const single = specQueries(spec).length === 1;
    const recorded = single ? [] : await store.jobs.listRunStats(job.job_id);
    return new RunBook(job, spec, store, options.shared ?? false, recorded);
  }

  run(key: RunKey): RunStats {
    return this.runs.get(runKeyId(key))!;
  }

  /** Files of this run saved by earlier runs of the job. */
  filesOf(key: RunKey): RunFiles {
    return this.files.get(runKeyId(key)) ?? { count: 0, images: 0, bytes: 0 };
  }

  /** Sets the stats of `keys` back to pending, counting the files earlier runs saved, and records them. */
  async restart(keys: readonly RunKey[]): Promise<void> {
    for (const key of keys) {
      this.owned.add(runKeyId(key));
      const mine = this.filesOf(key);
      Object.assign(this.run(key).stats, {
        status: 'pending',
        error: null,
        success: false,
        downloaded: mine.count,
        images: mine.images,
        videos: mine.count - mine.images,
        bytes: mine.bytes,
      });
    }
    const { jobs } = this.store;
    for (const key of keys) {
      const run = this.run(key);
      if (this.single) await jobs.saveSourceStats(this.job.job_id, key.source, { ...run.stats });
      else await jobs.saveRunStats(this.job.job_id, { ...run, stats: { ...run.stats } });
    }
    if (!this.single) {
      for (const source of new Set(keys.map((k) => k.source))) await this.saveSum(source);
    }
    this.job.results.query_stats = this.queryStats;
  }

  /**
   * Ends the runs of `keys` that never ended (their process failed for good) with `failure`, and
   * brings every source's sum up to date: the job's runs have all ended when this is called.
   */
  async settle(keys: readonly RunKey[], failure: SourceFailure): Promise<void> {
    for (const key of keys) {
      const run = this.run(key);
      if (run.stats.status !== 'pending' && run.stats.status !== 'running') continue;
      run.stats.finished_at = new Date().toISOString();
      settleSourceStats(run.stats, failure);
      await this.save(run);
    }
    if (!this.single) for (const source of this.spec.sources) await this.saveSum(source);
    for (const [index, query] of this.queries.entries())
      this.queryStats[query] = oneQueryStats(this.runsOfQuery[index]!);
    this.job.results.query_stats = this.queryStats;
  }

  /** Records `run`'s stats and what they add up to (its source's sum, its query's totals). */
  async save(run: RunStats): Promise<void> {
    const source = run.source as JobSourceName;
    this.queryStats[this.queries[run.query]!] = oneQueryStats(this.runsOfQuery[run.query]!);
    if (this.single) return this.store.jobs.saveSourceStats(this.job.job_id, source, { ...run.stats });
    await this.store.jobs.saveRunStats(this.job.job_id, { ...run, stats: { ...run.stats } });
    await this.saveSum(source);
  }

  private async saveSum(source: JobSourceName): Promise<void> {
    const mine = this.runsOfSource.get(source)!;
    if (this.shared) {
      // Other processes' runs of this source, as they recorded them.
      const recorded = new Map((await this.store.jobs.listRunStats(this.job.job_id)).map((r) => [runKeyId(r), r]));
      for (const run of mine) {
        const theirs = recorded.get(runKeyId(run));
        if (theirs !== undefined && theirs.stats !== run.stats && !this.owned.has(runKeyId(run)))
          run.stats = theirs.stats;
      }
    }
    this.job.results.source_stats[source] = sumSourceStats(mine.map((r) => r.stats));
    await this.store.jobs.saveSourceStats(this.job.job_id, source, { ...this.job.results.source_stats[source]! });
  }
}
